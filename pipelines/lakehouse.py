"""A shared lakehouse (DuckLake): each source lands in it, the models read every source's landing
from it, and the marts are published into it (docs/scaling.md).

The catalog's metadata lives in PostgreSQL (`lakehouse.catalog: postgres`: many writers on many
machines) or in a DuckDB file (`duckdb`: one machine); the data is Parquet under
`lakehouse.data_path`, a directory or S3 (`s3://bucket/prefix/`). The PostgreSQL connection
string and the S3 credentials are read from the variables the config names when the lake is
attached, the credentials given to DuckDB as a temporary secret of the session (never written to
a file or the catalog), and none is ever printed: an error that quotes one is rewritten.

DuckDB versions. DuckLake, the PostgreSQL client and httpfs (S3) are DuckDB extensions; offline,
they come only as pip packages (`duckdb-extension-ducklake`, `-postgres-scanner`, `-httpfs`),
built for DuckDB 1.5.5 at the newest, and an extension loads only into the DuckDB it was built
for. The pipeline needs DuckDB 2 (its models' SQL relies on 2.0's precedence of `->>`, publishing
on parameters in ATTACH). So the lake's steps run on DuckDB 1.5.5 in a venv of their own
(`.venv-lakehouse`, built by `make test-lakehouse`) and hand DuckDB files to the pipeline's:
DuckDB 2 reads a file 1.5 wrote, and 1.5 reads the published warehouse (written in the v1.1.0
format for BI tools). docs/scaling.md says why these versions, and what was tried.

The steps, each a command (`python -m pipelines.lakehouse STEP --config FILE`; as Dagster assets
in pipelines/lakehouse_defs.py, which launches them through Dagster Pipes):
- `init`: create the catalog once, before writers start (first attaches racing each other
  collide creating the metadata tables).
- `land --source NAME`: sync one source into its stage file (a local DuckDB file, committed page
  by page as ever, so a killed sync resumes), then replace the source's schema in the lake with
  it in one transaction. Only that source writes its schema, so sources land in parallel: DuckLake
  commits that touch different tables do not conflict. A machine without the stage file starts
  from the lake's copy of it, so a source may land from a different machine each night.
- `gather`: every source's landing, unioned into `raw.*` and `ops.*` of one DuckDB file, which
  `LakeLanding.attach` (the lake as a `pipelines.landing.Landing`) shows the models on DuckDB 2.
- `build` (DuckDB 2): the models over the gathered landing, and the warehouse published.
- `publish`: the published warehouse's marts into the lake's `marts` schema, in one transaction.
- `maintain --keep-days N`: compact the lake, expire older snapshots, delete their files.
"""

from __future__ import annotations

import argparse
import importlib.resources
import os
import re
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import dagster_pipes
import duckdb

from connectors.http import ConnectorError
from pipelines import config as config_module
from pipelines import ingest, models, runlock, warehouse
from pipelines.config import Config, ConfigError, Lakehouse

ALIAS = "lake"
GATHERED = "landing_lake"  # the gathered file, attached to the models' connection
LANDING_PREFIX = "landing_"
OPS_TABLES = ("sync_state", "sync_runs")  # a landing schema's other tables are raw tables
# Extensions in load order (DuckLake finds the PostgreSQL client loaded): pip package, extension.
POSTGRES = ("duckdb_extension_postgres_scanner", "postgres_scanner")
DUCKLAKE = ("duckdb_extension_ducklake", "ducklake")
HTTPFS = ("duckdb_extension_httpfs", "httpfs")  # S3 for a data path on s3://
S3_SECRET = "lake_s3"
# A `land` step's check under Dagster: the source's sync finished (else its error, what it
# committed pushed all the same).
SYNCED_CHECK = "synced"
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


def extensions(lake: Lakehouse) -> list[tuple[str, str]]:
    """The extensions the lake needs, in load order: the PostgreSQL client for its catalog and
    httpfs for S3 before DuckLake, which finds them loaded."""
    needed = [POSTGRES] if lake.catalog == "postgres" else []
    if lake.s3 is not None:
        needed.append(HTTPFS)
    return [*needed, DUCKLAKE]


def connect(database: str | Path, lake: Lakehouse) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the lake's extensions loaded from the pip packages, and nothing
    downloaded: autoinstall off, so a missing piece fails here, offline."""
    con = duckdb.connect(
        str(database), config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    )
    for package, name in extensions(lake):
        con.execute(f"LOAD {warehouse.sql_literal(str(extension_file(package, name)))}")
    return con


def data_path(config: Config) -> str:
    """Where the lake's Parquet goes (DuckLake fixes it when the catalog is created)."""
    lake = config.lakehouse
    return lake.data_path or f"{config.work_database.parent / 'lake'}/"


def catalog_path(config: Config) -> Path:
    """A DuckDB-file catalog's file."""
    return config.lakehouse.path or config.work_database.parent / "lake.ducklake"


def _env_value(key: str, env: str) -> str:
    """The value of the variable `key` names, or LakehouseError naming both."""
    value = os.environ.get(env)
    if not value:
        raise LakehouseError(f"lakehouse.{key}: environment variable {env} is not set")
    return value


def secrets(lake: Lakehouse) -> dict[str, str]:
    """The values, by variable name, of the variables the lake's config names (the connection
    string, S3's key id and secret) that are set: what no message may show."""
    names = [lake.dsn_env, *((lake.s3.key_id_env, lake.s3.secret_env) if lake.s3 else ())]
    return {name: value for name in names if name and (value := os.environ.get(name))}


def _location(lake: Lakehouse, config: Config) -> str:
    """The ATTACH target: it holds the connection string, so it is never shown."""
    if lake.catalog == "postgres":
        assert lake.dsn_env is not None  # the config requires it
        return f"ducklake:postgres:{_env_value('dsn_env', lake.dsn_env)}"
    if lake.catalog == "duckdb":
        path = catalog_path(config)
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"ducklake:{path}"
    raise LakehouseError("lakehouse.catalog is none: no lake to attach")


def _s3_secret(config: Config) -> str:
    """The statement giving DuckDB the S3 credentials for the data path, as a temporary secret: in
    the session's memory only, never written to a database file or the catalog."""
    s3 = config.lakehouse.s3
    assert s3 is not None  # callers check
    options = {
        "TYPE": "s3",
        "KEY_ID": warehouse.sql_literal(_env_value("s3.key_id_env", s3.key_id_env)),
        "SECRET": warehouse.sql_literal(_env_value("s3.secret_env", s3.secret_env)),
        "REGION": warehouse.sql_literal(s3.region),
        "URL_STYLE": warehouse.sql_literal(s3.url_style),
        "USE_SSL": "true" if s3.use_ssl else "false",
        # Only the lake's own prefix is read with these credentials.
        "SCOPE": warehouse.sql_literal(data_path(config)),
    }
    if s3.endpoint is not None:
        options["ENDPOINT"] = warehouse.sql_literal(s3.endpoint)
    body = ", ".join(f"{name} {value}" for name, value in options.items())
    return f"CREATE OR REPLACE TEMPORARY SECRET {S3_SECRET} ({body})"


def redact(message: str, secrets: dict[str, str]) -> str:
    """`message` without any of `secrets` (each shown as `$VARIABLE`, the name it is read from) or
    any password in it."""
    for env, value in secrets.items():
        message = message.replace(value, f"${env}")
    return PASSWORD.sub("password=***", message)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def attach(con: duckdb.DuckDBPyConnection, config: Config, *, read_only: bool = False) -> None:
    """Attach the configured lake as `lake`, with the S3 credentials of its data path, if on S3; a
    DuckDB-file catalog held by another process is waited for (LOCK_WAIT_SECONDS), as its lock
    admits one process at a time."""
    lake = config.lakehouse
    target = _location(lake, config)
    if lake.s3 is not None:
        create_secret = _s3_secret(config)
        try:
            con.execute(create_secret)
        except duckdb.Error as exc:
            raise LakehouseError(f"lakehouse.s3: {redact(_first_line(exc), secrets(lake))}") from None
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
            if lake.catalog == "duckdb" and "lock" in str(exc).lower() and time.monotonic() < deadline:
                time.sleep(0.2)
                continue
            raise LakehouseError(
                f"lakehouse ({lake.catalog}): {redact(_first_line(exc), secrets(lake))}"
            ) from None


@contextmanager
def opened(
    config: Config, database: str | Path = ":memory:", *, read_only: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to `database` with the lake attached as `lake`, closed after the block."""
    con = connect(database, config.lakehouse)
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


def gathered_path(config: Config) -> Path:
    """The file `gather` writes every source's landing into, for the models."""
    return config.work_database.parent / "lake-gathered.duckdb"


def stage_path(config: Config, source: str) -> Path:
    """The source's stage file: its sync commits here page by page, then `push` brings the lake to it."""
    return config.work_database.parent / "lake-stage" / f"{source}.duckdb"


def _tables(con: duckdb.DuckDBPyConnection, database: str, schemas: list[str]) -> list[tuple[str, str]]:
    """(schema, table) of `database`'s tables in `schemas`, in a stable order."""
    return con.execute(
        """
        SELECT schema_name, table_name FROM duckdb_tables()
        WHERE database_name = ? AND list_contains(?, schema_name) AND NOT temporary
        ORDER BY schema_name, table_name
        """,
        [database, schemas],
    ).fetchall()


def _copy_from_lake(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> str:
    """Append the lake's `schema.table` of a landing to the current database's table of that name,
    created as the sync creates it (an ops table, or a raw table); returns its qualified name there."""
    warehouse.ensure_ops(con)
    if table in OPS_TABLES:
        target = f"ops.{warehouse.sql_identifier(table)}"
    else:
        target = f"raw.{warehouse.sql_identifier(table)}"
        con.execute(f"CREATE TABLE IF NOT EXISTS {target} ({warehouse.RAW_COLUMNS})")
    con.execute(
        f"INSERT INTO {target} BY NAME SELECT * FROM {ALIAS}.{warehouse.sql_identifier(schema)}."
        f"{warehouse.sql_identifier(table)}"
    )
    return target


def _narrow_columns(con: duckdb.DuckDBPyConnection, database: str, schema: str, table: str) -> list[str]:
    """A table's columns, quoted, but a raw table's JSON: its stored hash stands for it, and
    comparing it would read every record."""
    columns = [
        column
        for (column,) in con.execute(
            """
            SELECT column_name FROM duckdb_columns()
            WHERE database_name = ? AND schema_name = ? AND table_name = ? ORDER BY column_index
            """,
            [database, schema, table],
        ).fetchall()
    ]
    narrow = [c for c in columns if c != "data"] if "data_hash" in columns else columns
    return [warehouse.sql_identifier(c) for c in narrow]


def _fingerprint(con: duckdb.DuckDBPyConnection, database: str, schema: str, table: str) -> str:
    """Rows of a table by its narrow columns, order-free: equal means the same rows."""
    quoted = ".".join(warehouse.sql_identifier(part) for part in (database, schema, table))
    columns = ", ".join(_narrow_columns(con, database, schema, table))
    ((rows, total),) = con.execute(f"SELECT count(*), sum(hash({columns}))::VARCHAR FROM {quoted}").fetchall()
    return f"{rows}:{total}"


def _update_rows(con: duckdb.DuckDBPyConnection, local: str, lake: str, columns: list[str]) -> None:
    """Make the lake's raw table hold the stage's rows by rewriting only the records that differ:
    a night's cost follows its changes, not the table's size. A landing schema holds one source,
    so `id` is the key; raw rows are never removed (a deletion is a `deleted_at`)."""
    narrow = ", ".join(columns)
    # After the delete, the same query finds exactly the deleted ids (now missing from the lake).
    differ = f"SELECT id FROM (SELECT {narrow} FROM {local} EXCEPT SELECT {narrow} FROM {lake})"
    con.execute(f"DELETE FROM {lake} WHERE id IN ({differ})")
    con.execute(f"INSERT INTO {lake} SELECT * FROM {local} WHERE id IN ({differ})")


def pull(con: duckdb.DuckDBPyConnection, config: Config, source: str) -> None:
    """Copy the source's landing from the lake into the current (empty) database: a machine that
    never ran the source resumes from its cursors."""
    attach(con, config, read_only=True)
    try:
        tables = _tables(con, ALIAS, [f"{LANDING_PREFIX}{source}"])
        for schema, table in tables:
            _copy_from_lake(con, schema, table)
    finally:
        con.execute(f"DETACH {ALIAS}")


def push(con: duckdb.DuckDBPyConnection, config: Config, source: str) -> None:
    """Bring the source's landing schema in the lake to the current database's raw and ops
    tables, in one lake transaction. A table whose rows did not change is left alone (a quiet
    night writes the run log and cursors only); a raw table gets only its changed rows; the small
    ops tables are replaced."""
    stage = con.execute("SELECT current_database()").fetchone()[0]
    tables = _tables(con, stage, ["raw", "ops"])
    lake_schema = f"{LANDING_PREFIX}{source}"
    attach(con, config)
    try:
        con.execute("BEGIN TRANSACTION")
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {ALIAS}.{landing_schema(source)}")
        there = {table for _, table in _tables(con, ALIAS, [lake_schema])}
        for stage_schema, table in tables:
            if table in there and _fingerprint(con, stage, stage_schema, table) == _fingerprint(
                con, ALIAS, lake_schema, table
            ):
                continue
            name = warehouse.sql_identifier(table)
            local = f"{warehouse.sql_identifier(stage)}.{stage_schema}.{name}"
            lake = f"{ALIAS}.{landing_schema(source)}.{name}"
            if table in there and stage_schema == "raw":
                _update_rows(con, local, lake, _narrow_columns(con, stage, stage_schema, table))
            else:
                con.execute(f"CREATE OR REPLACE TABLE {lake} AS SELECT * FROM {local}")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.execute(f"DETACH {ALIAS}")


@contextmanager
def staged(config: Config, source: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """The source's stage file, for the block to sync into; then the lake brought to it (`push`).

    A machine without the stage file first copies the source's landing from the lake (`pull`).
    The catalog is attached only to pull and to push, not during the block, so a DuckDB-file
    catalog (one process at a time) is held for seconds, not for a whole sync. The stage is pushed
    after the block, and also when the block raised a ConnectorError (a source's failure: what it
    committed stays, its error is in the run log).
    """
    stage = stage_path(config, source)
    stage.parent.mkdir(parents=True, exist_ok=True)
    fresh = not stage.exists()
    con = connect(stage, config.lakehouse)
    try:
        if fresh:
            try:
                pull(con, config, source)
            except BaseException:
                # Half a copy would pass for the source's state next time: start from nothing again.
                con.close()
                stage.unlink(missing_ok=True)
                Path(f"{stage}.wal").unlink(missing_ok=True)
                raise
        try:
            yield con
        except ConnectorError:
            push(con, config, source)
            raise
        push(con, config, source)
    finally:
        con.close()


@dataclass(frozen=True)
class LakeLanding:
    """The lake as a `pipelines.landing.Landing`. `writer` is a source's stage file, pushed to the
    source's schema in the lake when the block ends (`staged`): it runs on the lake's DuckDB 1.5.5.
    `attach` runs on the models' DuckDB 2, which cannot load the lake's extensions: it reads the
    file `gather` wrote from the lake, as `raw.*` views of the sources asked for."""

    config: Config

    @contextmanager
    def writer(self, source: str) -> Iterator[duckdb.DuckDBPyConnection]:
        with staged(self.config, source) as con:
            yield con

    def attach(self, con: duckdb.DuckDBPyConnection, sources: Sequence[str]) -> list[str]:
        path = gathered_path(self.config)
        if not path.exists():
            return []  # nothing gathered yet: no landing to read
        con.execute(f"DETACH DATABASE IF EXISTS {GATHERED}")
        con.execute(f"ATTACH {warehouse.sql_literal(str(path.absolute()))} AS {GATHERED} (READ_ONLY)")
        wanted = f"[{', '.join(map(warehouse.sql_literal, sources))}]::VARCHAR[]"
        tables = [table for _, table in _tables(con, GATHERED, ["raw"])]
        con.execute("CREATE SCHEMA IF NOT EXISTS raw")
        for table in tables:
            name = warehouse.sql_identifier(table)
            con.execute(
                f"CREATE OR REPLACE VIEW raw.{name} AS "
                f"SELECT * FROM {GATHERED}.raw.{name} WHERE list_contains({wanted}, source)"
            )
        return [f"raw.{table}" for table in tables]


def land(config: Config, source_name: str, run_id: str) -> ingest.SyncResult:
    """Sync one source through its lake landing's writer; raises the source's ConnectorError once
    what it committed is pushed."""
    with LakeLanding(config).writer(source_name) as con:
        return ingest.sync_source(con, config.source(source_name), run_id)


def gather(config: Config) -> dict[str, int]:
    """Every source's landing, unioned into `raw.*` and `ops.*` of a new DuckDB file for the
    models (`gathered_path`, read by `LakeLanding.attach` on DuckDB 2). Returns rows per table."""
    out = gathered_path(config)
    out.unlink(missing_ok=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    with opened(config, out, read_only=True) as con:
        landed = con.execute(
            """
            SELECT schema_name, table_name FROM duckdb_tables()
            WHERE database_name = ? AND starts_with(schema_name, ?)
            ORDER BY table_name, schema_name
            """,
            [ALIAS, LANDING_PREFIX],
        ).fetchall()
        for schema, table in landed:
            target = _copy_from_lake(con, schema, table)
            counts[target] = con.execute(f"SELECT count(*) FROM {target}").fetchone()[0]
        con.execute(f"DETACH {ALIAS}")
        con.execute("CHECKPOINT")
    return counts


def load_ops(con: duckdb.DuckDBPyConnection, sources: Sequence[str]) -> None:
    """The run log and cursors of `sources` from the gathered file (attached by
    `LakeLanding.attach`) into the working database's ops tables, which the published file
    carries, in one transaction."""
    warehouse.ensure_ops(con)
    with warehouse.transaction(con):
        for _, table in _tables(con, GATHERED, ["ops"]):
            name = warehouse.sql_identifier(table)
            con.execute(f"DELETE FROM ops.{name} WHERE list_contains(?, source)", [list(sources)])
            con.execute(
                f"INSERT INTO ops.{name} BY NAME SELECT * FROM {GATHERED}.ops.{name} "
                "WHERE list_contains(?, source)",
                [list(sources)],
            )


def build(config: Config, as_of: datetime | None = None) -> warehouse.Publication:
    """On DuckDB 2, under the warehouse's run lock: read the gathered landing (`LakeLanding`),
    build every model, publish the warehouse file. The module's own end to end; under Dagster the
    model and publish assets do this, with the blocking checks before publishing."""
    config.work_database.parent.mkdir(parents=True, exist_ok=True)
    sources = [source.name for source in config.sources]
    with runlock.hold(config.work_database), duckdb.connect(str(config.work_database)) as con:
        if not LakeLanding(config).attach(con, sources):
            raise LakehouseError(f"nothing gathered at {gathered_path(config)}: run gather first")
        load_ops(con, sources)
        params = models.ModelParams.from_config(config, as_of or config.as_of or datetime.now(UTC))
        models.build_all(con, params)
        return warehouse.publish_changes(con, config.warehouse, config.publish.schemas)


def publish(config: Config) -> list[str]:
    """The published warehouse's marts into the lake's `marts` schema, in one transaction, with
    their comments. Returns the tables written."""
    if not config.warehouse.is_file():
        raise LakehouseError(f"no published warehouse at {config.warehouse} yet: nothing to publish")
    with opened(config) as con:
        con.execute(f"ATTACH {warehouse.sql_literal(str(config.warehouse))} AS _published (READ_ONLY)")
        tables = _tables(con, "_published", ["marts"])
        con.execute("BEGIN TRANSACTION")
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {ALIAS}.marts")
        for _, table in tables:
            name = warehouse.sql_identifier(table)
            con.execute(
                f"CREATE OR REPLACE TABLE {ALIAS}.marts.{name} AS SELECT * FROM _published.marts.{name}"
            )
        con.execute("COMMIT")
    return [f"marts.{table}" for _, table in tables]


def maintain(config: Config, keep_days: int) -> None:
    """Compact the lake and drop what no reader needs: small inserts the catalog holds written out
    and adjacent small files merged, snapshots older than `keep_days` expired, and the files only
    they used deleted. Each night's changes add files and a snapshot; without this they pile up.
    Run it between runs (a run's steps read the latest snapshot only)."""
    older = f"now() - INTERVAL {int(keep_days)} DAY"
    with opened(config) as con:
        con.execute(f"CALL ducklake_flush_inlined_data('{ALIAS}')")
        con.execute(f"CALL ducklake_merge_adjacent_files('{ALIAS}')")
        con.execute(f"CALL ducklake_expire_snapshots('{ALIAS}', older_than => {older})")
        con.execute(f"CALL ducklake_cleanup_old_files('{ALIAS}', older_than => {older})")


def _step(args: argparse.Namespace, config: Config) -> dict[str, str | int]:
    """Run the step `args` name and print what it did in one line; returns that as metadata (what
    Dagster records of it, pipelines/lakehouse_defs.py)."""
    if args.step == "init":
        init(config)
        return {}
    if args.step == "land":
        result = land(config, args.source, args.run_id or f"lake-{uuid.uuid4()}")
        print(f"{args.source}: {result.total_records} records, {result.requests} requests")
        return {"records": result.total_records, "requests": result.requests}
    if args.step == "gather":
        counts = gather(config)
        print(f"gathered {sum(counts.values())} rows in {len(counts)} tables into {gathered_path(config)}")
        return {"rows": sum(counts.values()), "tables": len(counts)}
    if args.step == "build":
        path = build(config).path
        print(f"published {path}")
        return {"path": str(path)}
    if args.step == "publish":
        marts = publish(config)
        print(f"published {len(marts)} marts into the lake")
        return {"marts": len(marts)}
    maintain(config, args.keep_days)
    return {}


@contextmanager
def _dagster_pipes() -> Iterator[dagster_pipes.PipesContext | None]:
    """Dagster Pipes' context when Dagster launched the step (pipelines/lakehouse_defs.py), else
    None. Without the check, open_dagster_pipes would warn and hand back a stand-in."""
    if dagster_pipes.DAGSTER_PIPES_CONTEXT_ENV_VAR not in os.environ:
        yield None
        return
    with dagster_pipes.open_dagster_pipes() as pipes:
        yield pipes


def main(argv: list[str] | None = None) -> int:
    """`python -m pipelines.lakehouse STEP --config FILE`: exit 0, 1 when a source failed (its
    landing pushed as of its last committed page), 2 for a config or lake problem (the catalog or
    the data path refused or failed). Launched by Dagster, the step reports its asset's
    materialization, and `land` its SYNCED_CHECK, through Dagster Pipes."""
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.lakehouse", description=__doc__.splitlines()[0]
    )
    parser.add_argument("step", choices=["init", "land", "gather", "build", "publish", "maintain"])
    parser.add_argument("--config", type=Path, default=None)
    parser.add_argument("--source", help="land: the source to sync and push")
    parser.add_argument("--run-id", default=None, help="land: the run's id in ops.sync_runs")
    parser.add_argument("--keep-days", type=int, default=7, help="maintain: snapshots kept, in days")
    args = parser.parse_args(argv)
    if args.step == "land" and not args.source:
        parser.error("land needs --source")
    try:
        config = config_module.load(config_module.resolve_path(args.config), check_env=args.step == "land")
    except ConfigError as exc:
        print(f"lakehouse: {exc}", file=sys.stderr)
        return 2
    with _dagster_pipes() as pipes:
        try:
            done = _step(args, config)
        except (ConfigError, LakehouseError) as exc:
            print(f"lakehouse: {exc}", file=sys.stderr)
            return 2
        except duckdb.Error as exc:
            # The lake failed mid-step (S3 refused a write, the catalog went away): one line, redacted.
            print(f"lakehouse: {redact(_first_line(exc), secrets(config.lakehouse))}", file=sys.stderr)
            return 2
        except ConnectorError as exc:
            print(f"lakehouse: {exc}; its landing is pushed as of its last committed page", file=sys.stderr)
            if pipes is not None:
                # What it committed is in the lake, as the embedded pipeline's ingest keeps it.
                pipes.report_asset_materialization(metadata={"error": str(exc)})
                pipes.report_asset_check(SYNCED_CHECK, passed=False, metadata={"error": str(exc)})
            return 1
        if pipes is not None:
            pipes.report_asset_materialization(metadata=done)
            if args.step == "land":
                pipes.report_asset_check(SYNCED_CHECK, passed=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
