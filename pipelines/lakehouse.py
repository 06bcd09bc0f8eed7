"""A shared lakehouse (DuckLake): each source lands in it, the models read every source's landing
from it, and the marts are published into it (docs/scaling.md).

The catalog's metadata lives in PostgreSQL (`lakehouse.catalog: postgres`: many writers on many
machines) or in a DuckDB file (`duckdb`: one machine); the data is Parquet under
`lakehouse.data_path`. The PostgreSQL connection string is read from the variable `dsn_env` names
when a catalog is attached, and never printed: an error that quotes it is rewritten.

DuckDB versions. DuckLake and the PostgreSQL client are DuckDB extensions; offline, they come only
as pip packages (`duckdb-extension-ducklake`, `duckdb-extension-postgres-scanner`), built for DuckDB
1.5.5 at the newest, and an extension loads only into the DuckDB it was built for. The pipeline's
models need DuckDB 2 (its `->>` binds tighter than `IS NOT NULL`; 1.5 reads the models' SQL
otherwise). So the steps here run on DuckDB 1.5.5 in a venv of their own (`.venv-lakehouse`,
built by `make test-lakehouse`) and hand DuckDB files to the pipeline: DuckDB 2 reads a file 1.5
wrote, and 1.5 reads the published warehouse (written in the v1.1.0 format for BI tools).

The steps, each a command (`python -m pipelines.lakehouse STEP --config FILE`):
- `init`: create the catalog once, before writers start (first attaches racing each other
  collide creating the metadata tables).
- `land --source NAME`: sync one source into its stage file (a local DuckDB file, committed page
  by page as ever, so a killed sync resumes), then replace the source's schema in the lake with
  it in one transaction. Only that source writes its schema, so sources land in parallel: DuckLake
  commits that touch different tables do not conflict. A machine without the stage file starts
  from the lake's copy of it, so a source may land from a different machine each night.
- `gather --out FILE`: every source's landing, unioned into `raw.*` and `ops.*` of a new DuckDB
  file; `load_gathered` copies it into the working database (on DuckDB 2) for the models.
- `publish`: the published warehouse's marts into the lake's `marts` schema, in one transaction.
"""

from __future__ import annotations

import argparse
import importlib.resources
import os
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipelines import config as config_module
from pipelines import ingest, warehouse
from pipelines.config import Config, Lakehouse

ALIAS = "lake"
LANDING_PREFIX = "landing_"
OPS_TABLES = ("sync_state", "sync_runs")  # a landing schema's other tables are raw tables
# Extensions in load order (DuckLake finds the PostgreSQL client loaded): pip package, extension.
POSTGRES = ("duckdb_extension_postgres_scanner", "postgres_scanner")
DUCKLAKE = ("duckdb_extension_ducklake", "ducklake")
# A DuckDB-file catalog admits one process at a time: another waits this long for its lock.
LOCK_WAIT_SECONDS = 300.0
PASSWORD = re.compile(r"password\s*=\s*('[^']*'|\S+)", re.IGNORECASE)


class LakehouseError(RuntimeError):
    """The lake cannot be used: the extensions, the connection string or the catalog; one line."""


def extension_file(package: str, name: str) -> Path:
    """The `.duckdb_extension` a pip package ships for the running DuckDB, or LakehouseError."""
    version = f"v{duckdb.__version__}"
    try:
        root = Path(str(importlib.resources.files(package)))
    except ModuleNotFoundError:
        raise LakehouseError(f"the lakehouse needs the pip package {package} (make test-lakehouse)") from None
    path = root / "extensions" / version / f"{name}.duckdb_extension"
    if not path.exists():
        built = sorted(p.name for p in (root / "extensions").iterdir())
        raise LakehouseError(
            f"{package} holds {name} for DuckDB {', '.join(built)}, and this is DuckDB {version}: "
            "install the DuckDB version it was built for"
        )
    return path


def connect(database: str | Path = ":memory:", *, catalog: str = "postgres") -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with DuckLake (and for a PostgreSQL catalog, its client) loaded from the
    pip packages, and nothing downloaded: autoinstall off, so a missing piece fails here, offline."""
    con = duckdb.connect(
        str(database), config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    )
    for package, name in (POSTGRES, DUCKLAKE) if catalog == "postgres" else (DUCKLAKE,):
        con.execute(f"LOAD {warehouse.sql_literal(str(extension_file(package, name)))}")
    return con


def data_path(config: Config) -> str:
    lake = config.lakehouse
    return lake.data_path or f"{config.work_database.parent / 'lake'}/"


def catalog_path(config: Config) -> Path:
    return config.lakehouse.path or config.work_database.parent / "lake.ducklake"


def _location(lake: Lakehouse, config: Config) -> tuple[str, str | None]:
    """The ATTACH target and the secret it holds (the DSN), to be kept out of every message."""
    if lake.catalog == "postgres":
        assert lake.dsn_env is not None  # the config requires it
        dsn = os.environ.get(lake.dsn_env)
        if not dsn:
            raise LakehouseError(f"lakehouse.dsn_env: environment variable {lake.dsn_env} is not set")
        return f"ducklake:postgres:{dsn}", dsn
    if lake.catalog == "duckdb":
        path = catalog_path(config)
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"ducklake:{path}", None
    raise LakehouseError("lakehouse.catalog is none: no lake to attach")


def redact(message: str, secret: str | None, env: str | None) -> str:
    """`message` without the connection string (named by its variable) or any password in it."""
    if secret:
        message = message.replace(secret, f"${env}")
    return PASSWORD.sub("password=***", message)


def attach(con: duckdb.DuckDBPyConnection, config: Config, *, read_only: bool = False) -> None:
    """Attach the configured lake as `lake`; a DuckDB-file catalog held by another process is
    waited for (LOCK_WAIT_SECONDS), as its lock admits one process at a time."""
    lake = config.lakehouse
    target, secret = _location(lake, config)
    options = [f"DATA_PATH {warehouse.sql_literal(data_path(config))}"]
    if read_only:
        options.append("READ_ONLY")
    statement = f"ATTACH {warehouse.sql_literal(target)} AS {ALIAS} ({', '.join(options)})"
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            con.execute(statement)
            return
        except duckdb.Error as exc:
            text = str(exc)
            if lake.catalog == "duckdb" and "lock" in text.lower() and time.monotonic() < deadline:
                time.sleep(0.2)
                continue
            first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
            raise LakehouseError(
                f"lakehouse ({lake.catalog}): {redact(first, secret, lake.dsn_env)}"
            ) from None


@contextmanager
def opened(
    config: Config, database: str | Path = ":memory:", *, read_only: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to `database` with the lake attached as `lake`, closed after the block."""
    con = connect(database, catalog=config.lakehouse.catalog)
    try:
        attach(con, config, read_only=read_only)
        yield con
    finally:
        con.close()


def init(config: Config) -> None:
    """Create the catalog (its metadata tables) if it is not there yet; run once before writers."""
    with opened(config):
        pass


def landing_schema(source: str) -> str:
    """The lake schema only `source` writes (quoted: source names may hold `-`)."""
    return warehouse.sql_identifier(f"{LANDING_PREFIX}{source}")
