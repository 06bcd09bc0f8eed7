"""The lakehouse tests run on DuckLake's pip-packaged extensions, which exist for DuckDB 1.5.5 only:
`make test-lakehouse` runs them in .venv-lakehouse, where they are installed, and sets
TRACKERLAKE_REQUIRE_LAKEHOUSE so that a missing piece fails instead of skipping. In the main venv
(DuckDB 2) they skip. PostgreSQL is Debian's package, started once for the session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulators.generator import generate_org
from pipelines import config as config_module
from pipelines import lakehouse
from pipelines.config import Config
from pipelines.demo import demo_sources
from tests.lakehouse.postgres import Postgres, server_bin

REQUIRED = bool(os.environ.get("TRACKERLAKE_REQUIRE_LAKEHOUSE"))
DSN_ENV = "TRACKERLAKE_TEST_LAKE_DSN"
# The server trusts loopback and ignores it; the tests check it is never shown.
PASSWORD = "s3cret-never-shown"


def missing(why: str) -> None:
    if REQUIRED:
        pytest.fail(why)
    pytest.skip(why)


@pytest.fixture(scope="session")
def extensions() -> None:
    try:
        lakehouse.extension_file(*lakehouse.DUCKLAKE)
        lakehouse.extension_file(*lakehouse.POSTGRES)
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
