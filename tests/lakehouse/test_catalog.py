"""The lake itself: extensions loaded from the pip packages, a catalog in PostgreSQL or a DuckDB
file, data as Parquet under data_path, and the connection string never shown."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines import lakehouse
from pipelines.config import Config
from tests.lakehouse.conftest import DSN_ENV, PASSWORD, lake_config
from tests.lakehouse.postgres import Postgres


def round_trip(config: Config) -> list[tuple]:
    """Write a table in one connection, read it back in another, read-only."""
    lakehouse.init(config)
    with lakehouse.opened(config) as con:
        con.execute("CREATE SCHEMA lake.trial")
        con.execute("CREATE TABLE lake.trial.t AS SELECT range AS n, 'x' || range AS s FROM range(1000)")
        con.execute("INSERT INTO lake.trial.t VALUES (5000, 'five thousand')")
    with lakehouse.opened(config, read_only=True) as con:
        return con.execute("SELECT count(*), sum(n), max(s) FILTER (n = 5000) FROM lake.trial.t").fetchall()


# 0 + 1 + ... + 999 = 499500, and the row inserted after
ROWS = [(1001, 499500 + 5000, "five thousand")]


def parquet_rows(data_path: Path) -> int:
    """Rows in the Parquet files under data_path: the table's first 1000. DuckLake keeps a small
    insert (the one row after) in the catalog itself until it is flushed."""
    files = [str(p) for p in data_path.rglob("*.parquet")]
    with duckdb.connect() as con:
        return con.execute("SELECT count(*) FROM read_parquet(?)", [files]).fetchone()[0]


def test_a_table_round_trips_through_a_postgresql_catalog(
    pg_lake: tuple[Config, str], postgres: Postgres
) -> None:
    config, database = pg_lake
    assert round_trip(config) == ROWS
    # The catalog is in PostgreSQL (DuckLake's own tables), the rows in Parquet under data_path.
    tables = postgres.query(database, "SELECT table_name FROM ducklake_table WHERE end_snapshot IS NULL")
    assert tables == [["t"]]
    assert parquet_rows(Path(config.lakehouse.data_path)) == 1000


def test_a_table_round_trips_through_a_duckdb_file_catalog(tmp_path: Path, extensions: None) -> None:
    config = lake_config(tmp_path, {"catalog": "duckdb"})
    assert round_trip(config) == ROWS
    assert (tmp_path / "work" / "lake.ducklake").is_file()
    assert parquet_rows(tmp_path / "work" / "lake") == 1000


def test_a_refused_connection_names_the_variable_never_the_connection_string(
    postgres: Postgres, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A database that does not exist: the server refuses.
    monkeypatch.setenv(DSN_ENV, f"{postgres.dsn('no_such_database')} password={PASSWORD}")
    config = lake_config(tmp_path, {"catalog": "postgres", "dsn_env": DSN_ENV})
    with pytest.raises(lakehouse.LakehouseError) as caught:
        lakehouse.init(config)
    message = str(caught.value)
    # PostgreSQL's client quotes the whole connection string: it is replaced by its variable's name.
    assert PASSWORD not in message and "does not exist" in message
    assert f'Unable to connect to Postgres at "${DSN_ENV}"' in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_an_unset_variable_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extensions: None
) -> None:
    monkeypatch.delenv(DSN_ENV, raising=False)
    config = lake_config(tmp_path, {"catalog": "postgres", "dsn_env": DSN_ENV})
    with pytest.raises(lakehouse.LakehouseError, match=f"environment variable {DSN_ENV} is not set"):
        lakehouse.init(config)
