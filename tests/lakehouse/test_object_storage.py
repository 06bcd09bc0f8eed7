"""The lake's data on S3 (`lakehouse.data_path: s3://bucket/prefix/`): moto's S3 server on loopback,
which checks every request's signature (tests/lakehouse/s3.py), the catalog in PostgreSQL. The
credentials are read from the variables `lakehouse.s3` names and never kept or shown."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from emulators.faults import FaultPlan
from pipelines import config as config_module
from pipelines import lakehouse
from tests.lakehouse.conftest import lake_config
from tests.lakehouse.lake import PASSWORD, Lake, table_prints
from tests.lakehouse.s3 import S3Server
from tests.lakehouse.test_catalog import ROWS, round_trip

KEY_ID_ENV = "TRACKERLAKE_TEST_S3_KEY_ID"
SECRET_ENV = "TRACKERLAKE_TEST_S3_SECRET"
PREFIX = "trackerlake/"


def s3_keys(endpoint: str, bucket: str) -> dict[str, Any]:
    """The lakehouse keys putting the data under PREFIX in `bucket` on the S3 server at `endpoint`."""
    return {
        "data_path": f"s3://{bucket}/{PREFIX}",
        "s3": {
            "key_id_env": KEY_ID_ENV,
            "secret_env": SECRET_ENV,
            "endpoint": endpoint,
            "url_style": "path",
            "use_ssl": False,
        },
    }


@pytest.fixture
def bucket(s3: S3Server, monkeypatch: pytest.MonkeyPatch) -> str:
    """A new bucket, and the IAM user's credentials in KEY_ID_ENV and SECRET_ENV."""
    name = f"lake-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(name)
    monkeypatch.setenv(KEY_ID_ENV, s3.key_id)
    monkeypatch.setenv(SECRET_ENV, s3.secret)
    return name


@pytest.fixture
def lake_storage(s3: S3Server, bucket: str) -> dict[str, Any]:
    return s3_keys(s3.endpoint, bucket)


@pytest.fixture
def lake_secrets(s3: S3Server) -> tuple[str, ...]:
    return (s3.key_id, s3.secret)


def parquet_keys(s3: S3Server, bucket: str) -> set[str]:
    """The bucket's Parquet objects, by key; none may hold the secret."""
    objects = s3.objects(bucket)
    assert not any(objects.values())
    return {key for key in objects if key.endswith(".parquet")}


def listed_files(lake: Lake) -> set[str]:
    """The data and delete files the catalog lists, as keys in the bucket."""
    rows = lake.postgres.query(
        lake.database,
        "SELECT s.path || t.path || f.path FROM ducklake_data_file f "
        "JOIN ducklake_table t USING (table_id) JOIN ducklake_schema s USING (schema_id) "
        "UNION ALL SELECT s.path || t.path || f.path FROM ducklake_delete_file f "
        "JOIN ducklake_table t USING (table_id) JOIN ducklake_schema s USING (schema_id)",
    )
    return {PREFIX + path for (path,) in rows}


@pytest.mark.parametrize(
    ("keys", "error"),
    [
        ({"data_path": "s3://lake-bucket/p/"}, "lakehouse: data_path on s3:// needs s3"),
        (
            {"data_path": "s3://x/p/", "s3": {"key_id_env": "K", "secret_env": "S"}},
            "lakehouse: data_path 's3://x/p/' is not s3://bucket/prefix/",
        ),
        (
            {"data_path": "/tmp/lake", "s3": {"key_id_env": "K", "secret_env": "S"}},
            "lakehouse: s3 is set but",
        ),
        (
            {"data_path": "s3://lake-bucket/", "s3": {"key_id_env": "K"}},
            "lakehouse.s3.secret_env: required key",
        ),
        (
            {
                "data_path": "s3://lake-bucket/",
                "s3": {"key_id_env": "K", "secret_env": "S", "endpoint": "http://h"},
            },
            "lakehouse.s3.endpoint: 'http://h' is not host[:port]",
        ),
        (
            {"data_path": "s3://lake-bucket/", "s3": {"key_id_env": "K", "secret_env": "my secret"}},
            "lakehouse.s3.secret_env: 'my secret' is not an environment variable name",
        ),
        (
            {"data_path": "s3://lake-bucket/", "s3": {"key_id_env": "K", "secret_env": "S", "use_ssl": "no"}},
            "lakehouse.s3.use_ssl: ",
        ),
    ],
)
def test_the_s3_keys_are_checked_with_one_line_naming_the_key(
    tmp_path: Path, keys: dict[str, Any], error: str
) -> None:
    with pytest.raises(config_module.ConfigError) as caught:
        lake_config(tmp_path, {"catalog": "duckdb", **keys})
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{tmp_path / 'trackerlake.yaml'}: {error}")


def test_a_table_round_trips_with_its_data_in_the_bucket(s3: S3Server, bucket: str, tmp_path: Path) -> None:
    config = lake_config(tmp_path, {"catalog": "duckdb", **s3_keys(s3.endpoint, bucket)})
    assert round_trip(config) == ROWS
    # The first 1000 rows in one Parquet file in the bucket, under the prefix; nothing on disk
    # but the catalog file.
    (key,) = parquet_keys(s3, bucket)
    assert key.startswith(f"{PREFIX}trial/t/")
    assert [p.name for p in (tmp_path / "work").iterdir()] == ["lake.ducklake"]


def test_an_unset_s3_variable_is_named(
    s3: S3Server, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SECRET_ENV)
    config = lake_config(tmp_path, {"catalog": "duckdb", **s3_keys(s3.endpoint, bucket)})
    with pytest.raises(
        lakehouse.LakehouseError,
        match=f"lakehouse.s3.secret_env: environment variable {SECRET_ENV} is not set",
    ):
        lakehouse.init(config)


def test_on_s3_the_lake_publishes_what_it_publishes_on_disk_maintains_the_bucket_and_keeps_no_secret(
    lake: Lake, s3: S3Server, bucket: str
) -> None:
    lake.run()
    sources = [s.name for s in lake.config.sources]
    keys = parquet_keys(s3, bucket)
    # Every landing's and the marts' Parquet is in the bucket, and it is what the catalog lists.
    for schema in [*(f"landing_{s}" for s in sources), "marts"]:
        assert any(key.startswith(f"{PREFIX}{schema}/") for key in keys), schema
    assert keys == listed_files(lake)
    assert not (lake.config.work_database.parent / "lake").exists()

    # The same organisation through a lake on a local directory: the same marts, in the lake and
    # in the published file.
    local = lake.twin("local", {"data_path": str(lake.tmp / "local" / "lake")})
    local.run()
    assert list(Path(local.config.lakehouse.data_path).rglob("*.parquet"))
    marts = []
    for each in (lake, local):
        with lakehouse.opened(each.config, read_only=True) as con:
            con.execute(f"ATTACH '{each.config.warehouse}' AS published (READ_ONLY)")
            marts.append((table_prints(con, "lake", "marts"), table_prints(con, "published", "marts")))
    assert len(marts[0][0]) >= 10 and marts[0][0]["work_items"][0] > 100
    assert marts[0] == marts[1]

    # A night with edits, then maintain: the files only older snapshots used leave the bucket.
    FaultPlan.parse("edit:30,seed=5").churn(lake.org)
    lake.land_all()
    before = parquet_keys(s3, bucket)
    with lakehouse.opened(lake.config, read_only=True) as con:
        rows = {s: table_prints(con, "lake", f"landing_{s}") for s in sources}
    lake.step("maintain", "--keep-days", "0")
    after = parquet_keys(s3, bucket)
    # (Merging adjacent files writes new ones: the bucket's keys are then the catalog's, no more.)
    assert before - after and after == listed_files(lake)
    with lakehouse.opened(lake.config, read_only=True) as con:
        assert {s: table_prints(con, "lake", f"landing_{s}") for s in sources} == rows

    # The credentials are nowhere: not in the catalog, the server's log, or any file the steps wrote
    # (stage files, the gathered and working databases, the published file, the configs).
    kept = [lake.postgres.dump(lake.database), s3.log.read_text(errors="replace")]
    files = [p for p in lake.tmp.rglob("*") if p.is_file()]
    assert len(files) > 10
    for secret in (s3.secret, s3.key_id, PASSWORD):
        assert not any(secret in text for text in kept)
        assert not [p for p in files if secret.encode() in p.read_bytes()]


def test_a_wrong_secret_is_refused_by_s3_and_never_shown(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    source = lake.config.sources[0].name
    lake.step("land", "--source", source)
    wrong = "wrong-secret-never-shown"
    monkeypatch.setenv(SECRET_ENV, wrong)
    ended = lake.attempt("gather")
    # One line naming S3's refusal, not a traceback, and neither secret in it.
    assert ended.returncode == 2
    assert ended.stderr.startswith("lakehouse: ") and ended.stderr.count("\n") == 1
    assert "403" in ended.stderr
    assert wrong not in ended.stdout + ended.stderr
    for secret in lake.secrets:
        assert secret not in ended.stdout + ended.stderr


def test_a_message_quoting_a_credential_shows_its_variable_instead(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ID_ENV, "AKIAEXAMPLE")
    monkeypatch.setenv(SECRET_ENV, "wJalr/EXAMPLE+KEY")
    monkeypatch.setenv("TRACKERLAKE_TEST_LAKE_DSN", "host=db user=lake password=pw")
    lake = config_module.Lakehouse.model_validate(
        {
            "catalog": "postgres",
            "dsn_env": "TRACKERLAKE_TEST_LAKE_DSN",
            **s3_keys("127.0.0.1:9000", "lake-bucket"),
        }
    )
    message = "at host=db user=lake password=pw: key AKIAEXAMPLE, secret wJalr/EXAMPLE+KEY refused"
    assert lakehouse.redact(message, lakehouse.secrets(lake)) == (
        f"at $TRACKERLAKE_TEST_LAKE_DSN: key ${KEY_ID_ENV}, secret ${SECRET_ENV} refused"
    )
