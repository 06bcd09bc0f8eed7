"""The lakehouse tests run on DuckLake's pip-packaged extensions, which exist for DuckDB 1.5.5 only:
`make test-lakehouse` runs them in .venv-lakehouse, where they are installed, and sets
TRACKERLAKE_REQUIRE_LAKEHOUSE so that a missing piece fails instead of skipping. In the main venv
(DuckDB 2) they skip. PostgreSQL is Debian's package and S3 moto's server, each started once for
the session; the `lake` fixture is an emulated organisation landing in a lake on them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulators.generator import DEMO_AS_OF, generate_org
from emulators.server import EmulatorServer, default_mounts
from pipelines import config as config_module
from pipelines import lakehouse
from pipelines.config import Config
from pipelines.demo import DEMO_EMAIL, EMAIL_ENV, TOKEN_ENV, demo_sources, emulator_config
from tests.lakehouse.lake import DSN_ENV, PASSWORD, PIPELINE_PYTHON, REPO, Lake, Together, configure
from tests.lakehouse.postgres import Postgres, server_bin
from tests.lakehouse.s3 import S3Server

REQUIRED = bool(os.environ.get("TRACKERLAKE_REQUIRE_LAKEHOUSE"))
# moto's server, in a venv of its own (make test-lakehouse builds it).
S3_PYTHON = Path(
    os.environ.get("TRACKERLAKE_S3_PYTHON", REPO / ".venv-lakehouse" / "s3-server" / "bin" / "python")
)


def missing(why: str) -> None:
    if REQUIRED:
        pytest.fail(why)
    pytest.skip(why)


@pytest.fixture(scope="session")
def extensions() -> None:
    try:
        for package, name in (lakehouse.DUCKLAKE, lakehouse.POSTGRES, lakehouse.HTTPFS):
            lakehouse.extension_file(package, name)
    except lakehouse.LakehouseError as exc:
        missing(str(exc))


@pytest.fixture(scope="session")
def postgres(extensions: None) -> Iterator[Postgres]:
    bin_dir = server_bin()
    if bin_dir is None:
        missing("no PostgreSQL server installed (apt-get install -y postgresql; make test-lakehouse does)")
    server = Postgres(bin_dir).start()
    try:
        yield server
    finally:
        server.stop()


def lake_config(tmp_path: Path, lakehouse_keys: dict) -> Config:
    """A config whose lakehouse is `lakehouse_keys`, its files under tmp_path; its sources (the
    demo's, at an address nothing answers) are never synced."""
    raw = {
        "warehouse": str(tmp_path / "published" / "trackerlake.duckdb"),
        "work_dir": str(tmp_path / "work"),
        "sources": demo_sources(generate_org(scale=0.1), "http://127.0.0.1:9"),
        "lakehouse": lakehouse_keys,
    }
    return config_module.parse(raw, tmp_path / "trackerlake.yaml")


@pytest.fixture
def pg_lake(postgres: Postgres, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Config, str]:
    """A fresh PostgreSQL database for a catalog, its DSN (with a password) in DSN_ENV; returns the
    config and the database's name."""
    database = f"lake_{tmp_path.name.lower().replace('-', '_')[-40:]}"
    dsn = postgres.create_database(database)
    monkeypatch.setenv(DSN_ENV, f"{dsn} password={PASSWORD}")
    config = lake_config(
        tmp_path, {"catalog": "postgres", "dsn_env": DSN_ENV, "data_path": str(tmp_path / "lake")}
    )
    return config, database


@pytest.fixture(scope="session")
def s3(extensions: None) -> Iterator[S3Server]:
    if not S3_PYTHON.exists():
        missing(f"no moto server at {S3_PYTHON} (make test-lakehouse installs moto[server] there)")
    server = S3Server(S3_PYTHON).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def lake_storage(tmp_path: Path) -> dict[str, Any]:
    """The `lake` fixture's data path keys: a local directory (test_object_storage.py: S3)."""
    return {"data_path": str(tmp_path / "lake")}


@pytest.fixture
def lake_secrets() -> tuple[str, ...]:
    """What no step of the `lake` fixture may print besides the catalog's password."""
    return ()


@pytest.fixture
def lake(
    postgres: Postgres,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    lake_storage: dict[str, Any],
    lake_secrets: tuple[str, ...],
) -> Iterator[Lake]:
    """An emulated organisation landing in a DuckLake on PostgreSQL, its data under `lake_storage`'s
    keys, initialised (tests/lakehouse/lake.py)."""
    if not PIPELINE_PYTHON.exists():
        missing(f"no pipeline Python at {PIPELINE_PYTHON} (make venv)")
    monkeypatch.setenv(TOKEN_ENV, "test-token")
    monkeypatch.setenv(EMAIL_ENV, DEMO_EMAIL)
    org = generate_org(seed=7, scale=0.3)
    together = Together()
    mounts = {prefix: together.gate(prefix, mount) for prefix, mount in default_mounts(org).items()}
    with EmulatorServer(org, mounts=mounts) as server:
        raw = emulator_config(org, server.url, tmp_path / "published" / "trackerlake.duckdb")
        raw["as_of"] = DEMO_AS_OF.isoformat()
        database = "pipeline_" + tmp_path.name.lower().replace("-", "_")[-30:]
        path, config = configure(postgres, database, tmp_path, raw, lake_storage, DSN_ENV, monkeypatch)
        secrets = (PASSWORD, *lake_secrets)
        lake = Lake(org, server, postgres, database, path, config, tmp_path, together, secrets, monkeypatch)
        lake.step("init")
        yield lake
