"""The DuckDB side of ingest: raw tables, sync state and run log, and publishing.

Each source's sync writes its raw tables, sync state and run log into its own landing
(pipelines/landing.py); the models build in a *working* database that only the pipeline opens,
where the landings show as `raw.*` views (published, when asked, as the tables they read). Once
the blocking checks pass, `publish_changes` copies what BI tools read (marts and ops, unless the
config asks for more) to the configured warehouse path under a temporary name, written with a
storage version that DuckDB 1.1+ readers open, and renames it into place, so a BI tool reading the
published file never waits on the pipeline nor sees a half-built state. Tables that did not change
since the last publish are not rewritten.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson

# The part of a raw table's name that comes from a tracker's registration and stream declaration.
TABLE_PART = re.compile(r"[a-z][a-z0-9_]*")

# BI drivers bundle older DuckDB builds; DuckDB 2.x writes a format 1.x cannot read unless asked.
PUBLISH_STORAGE_VERSION = "v1.1.0"

RAW_COLUMNS = """
    source     VARCHAR NOT NULL,
    scope      VARCHAR NOT NULL,
    id         VARCHAR NOT NULL,
    updated_at TIMESTAMPTZ,
    data       JSON NOT NULL,
    synced_at  TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ,
    data_hash  UBIGINT NOT NULL
"""

RAW_COLUMN_COMMENTS = {
    "source": "Name of the configured source.",
    "scope": "Repo ('owner/repo') or Jira project key the record was read under (site-wide Jira streams: the first project).",
    "id": "The record's id in the tracker; with source, the key.",
    "updated_at": "The record's last-change time from the API (the stream cursor); null for streams without one.",
    "data": "The record as the API returned it.",
    "synced_at": "When this copy was landed (UTC).",
    "deleted_at": "When the record was found gone from the tracker; null while it exists.",
    "data_hash": "Hash of data, so a re-read identical record is recognised without comparing JSON.",
}

OPS_DDL = """
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS ops;
CREATE TABLE IF NOT EXISTS ops.sync_state (
    source     VARCHAR NOT NULL,
    scope      VARCHAR NOT NULL,
    stream     VARCHAR NOT NULL,
    state      JSON NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, scope, stream)
);
CREATE TABLE IF NOT EXISTS ops.sync_runs (
    run_id      VARCHAR NOT NULL,
    source      VARCHAR NOT NULL,
    source_type VARCHAR NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    requests    BIGINT,
    records     BIGINT,
    status      VARCHAR NOT NULL,
    error       VARCHAR
);
COMMENT ON TABLE ops.sync_state IS 'Cursor per source, scope (repo or project) and stream; written in the same transaction as the records it covers.';
COMMENT ON TABLE ops.sync_runs IS 'One row per source per run: when it ran, HTTP requests made (retries and 304s included), records landed, status and error.';
COMMENT ON COLUMN ops.sync_state.source IS 'Name of the configured source.';
COMMENT ON COLUMN ops.sync_state.scope IS 'The repo or project.';
COMMENT ON COLUMN ops.sync_state.stream IS 'Stream name (_census for the time of the last deletion census).';
COMMENT ON COLUMN ops.sync_state.state IS 'The stream''s cursor as JSON.';
COMMENT ON COLUMN ops.sync_state.updated_at IS 'When it was written (UTC).';
COMMENT ON COLUMN ops.sync_runs.run_id IS 'The pipeline run.';
COMMENT ON COLUMN ops.sync_runs.source IS 'Name of the configured source.';
COMMENT ON COLUMN ops.sync_runs.source_type IS 'github or jira.';
COMMENT ON COLUMN ops.sync_runs.started_at IS 'When the source''s sync started (UTC).';
COMMENT ON COLUMN ops.sync_runs.finished_at IS 'When it ended; null while running.';
COMMENT ON COLUMN ops.sync_runs.requests IS 'HTTP requests made, retries and 304s included.';
COMMENT ON COLUMN ops.sync_runs.records IS 'Records landed.';
COMMENT ON COLUMN ops.sync_runs.status IS 'running, success, failed or interrupted.';
COMMENT ON COLUMN ops.sync_runs.error IS 'Why it failed, in one line; null on success.';
"""


def sql_literal(text: str) -> str:
    """`text` as a DuckDB string literal, for the statements that take no parameters (COMMENT ON).

    Inside single quotes DuckDB reads only a doubled quote specially (backslash is plain text);
    a NUL would end the string in the C parser, so it is refused.
    """
    if "\0" in text:
        raise ValueError("a NUL character cannot be part of a DuckDB string")
    return "'" + text.replace("'", "''") + "'"


def sql_identifier(name: str) -> str:
    """`name` as a quoted DuckDB identifier: any text is then one name, never SQL."""
    if "\0" in name:
        raise ValueError("a NUL character cannot be part of a DuckDB identifier")
    return '"' + name.replace('"', '""') + '"'


@contextmanager
def settings(con: duckdb.DuckDBPyConnection, values: Mapping[str, str]) -> Iterator[None]:
    """DuckDB settings changed for a block of work and put back afterwards, even if it fails.

    Put back as DuckDB reports them: a memory limit to a tenth of its unit (2 GB comes back as
    1.8 GiB), close enough for a cache size.
    """
    before = {name: con.execute("SELECT current_setting(?)", [name]).fetchall()[0][0] for name in values}
    try:
        for name, value in values.items():
            _set(con, name, value)
        yield
    finally:
        for name, value in before.items():
            _set(con, name, value)


def _set(con: duckdb.DuckDBPyConnection, name: str, value: object) -> None:
    # A value read back may hold a path (temp_directory lies beside the database): a parameter.
    con.execute(f"SET {sql_identifier(name)} = ?", [value])


# A database's tables and (its own) views, as one relation.
_RELATIONS = """
    SELECT table_oid AS oid, database_name, schema_name, table_name AS name, sql, comment, temporary
    FROM duckdb_tables()
    UNION ALL
    SELECT view_oid, database_name, schema_name, view_name, sql, comment, temporary
    FROM duckdb_views() WHERE NOT internal
"""


def table_exists(con: duckdb.DuckDBPyConnection, table: str, database: str | None = None) -> bool:
    """Whether `schema.table` exists in `database` (default the connection's own), as a table or a
    view (the raw tables of landings a connection attached are views: pipelines/landing.py)."""
    schema, _, name = table.partition(".")
    ((count,),) = con.execute(
        f"""
        SELECT count(*) FROM ({_RELATIONS})
        WHERE database_name = coalesce(?, current_database()) AND schema_name = ? AND name = ?
        """,
        [database, schema, name],
    ).fetchall()
    return count > 0


def relations(con: duckdb.DuckDBPyConnection) -> set[str]:
    """`schema.table` of every table and view of the connection's own database: one query where
    `table_exists` per table would take one each."""
    return {
        f"{schema}.{name}"
        for schema, name in con.execute(
            f"SELECT schema_name, name FROM ({_RELATIONS}) WHERE database_name = current_database()"
        ).fetchall()
    }


def raw_table(source_type: str, stream: str) -> str:
    """`raw.<type>_<stream>`; both parts are checked, as the name is written into SQL unquoted."""
    for part in (source_type, stream):
        if not TABLE_PART.fullmatch(part):
            raise ValueError(f"{part!r} cannot name a raw table: lower-case letters, digits and _ only")
    return f"raw.{source_type}_{stream}"


def ensure_ops(con: duckdb.DuckDBPyConnection) -> None:
    with transaction(con):  # one commit, not one per statement
        con.execute(OPS_DDL)


def ensure_raw_table(con: duckdb.DuckDBPyConnection, source_type: str, stream: str) -> str:
    """Create `raw.<type>_<stream>` if needed; every stream lands in the same shape."""
    table = raw_table(source_type, stream)
    description = (
        f"Landed {source_type} {stream} records, one per source and id, upserted by primary key; "
        "data keeps the record as the API returned it."
    )
    statements = [
        f"CREATE TABLE IF NOT EXISTS {table} ({RAW_COLUMNS})",
        f"COMMENT ON TABLE {table} IS {sql_literal(description)}",
        *(
            f"COMMENT ON COLUMN {table}.{column} IS {sql_literal(comment)}"
            for column, comment in RAW_COLUMN_COMMENTS.items()
        ),
    ]
    # One commit, not one per statement: a raw table's 10 take a third of the time.
    with transaction(con):
        con.execute(";\n".join(statements))
    return table


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """The block's statements as one transaction: committed when it ends, rolled back when it
    fails (or is interrupted) and the failure raised."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def read_state(con: duckdb.DuckDBPyConnection, source: str, scope: str, stream: str) -> dict[str, Any] | None:
    row = con.execute(
        "SELECT state FROM ops.sync_state WHERE source = ? AND scope = ? AND stream = ?",
        [source, scope, stream],
    ).fetchone()
    return json.loads(row[0]) if row else None


def write_state(
    con: duckdb.DuckDBPyConnection,
    source: str,
    scope: str,
    stream: str,
    state: Mapping[str, Any],
    at: datetime,
) -> None:
    """Store a stream's state; call inside the transaction that commits what the state covers."""
    con.execute(
        "INSERT OR REPLACE INTO ops.sync_state VALUES (?, ?, ?, ?, ?)",
        [source, scope, stream, json.dumps(state, sort_keys=True), at],
    )


def has_rows(con: duckdb.DuckDBPyConnection, table: str, source: str, scope: str) -> bool:
    return con.execute(
        f"SELECT EXISTS (SELECT 1 FROM {table} WHERE source = ? AND scope = ?)", [source, scope]
    ).fetchone()[0]


@dataclass
class LandedPage:
    """One page to land: its raw table, scope and stream, its rows, and the stream state it completes.

    `rows` are (id, cursor time, record as UTF-8 JSON); `state` is None when the page completes none.
    """

    table: str
    scope: str
    stream: str
    rows: list[tuple[str, datetime | None, bytes]]
    state: Mapping[str, Any] | None = None

    @property
    def size(self) -> int:
        """Bytes of JSON the page holds."""
        return sum(len(data) for _, _, data in self.rows)


def record_json(record: Mapping[str, Any]) -> bytes:
    """A record as compact UTF-8 JSON, keys in the order the API sent them.

    Bytes, not str: a page waiting for the writer takes a byte per ASCII character whatever else
    its text holds (a str holding one Chinese name takes two or four per character).
    """
    return orjson.dumps(record)


def commit_pages(
    con: duckdb.DuckDBPyConnection, source: str, pages: Sequence[LandedPage], synced_at: datetime
) -> dict[str, int]:
    """Upsert pages of records and, in the same transaction, the stream states they complete.

    Several pages go in one transaction (a group commit), one insert per raw table, so that a
    transaction's fixed cost is paid once however many pages queued up while the last one ran.
    A record identical to the stored one is left alone, so a run that re-reads an overlap changes
    nothing; the last copy of a record read twice wins. Returns rows inserted or changed per stream.
    """
    changed: dict[str, int] = {}
    with transaction(con):
        streams = {page.table: page.stream for page in pages}  # a raw table holds one stream
        for table, rows in _by_table(pages).items():
            changed[streams[table]] = _upsert(con, table, source, rows, synced_at)
        states = {(page.scope, page.stream): page.state for page in pages if page.state is not None}
        for (scope, stream), state in states.items():
            write_state(con, source, scope, stream, state, synced_at)
    return changed


RECORDS_APART = b"\x1e"  # chr(30), ASCII's record separator


def _by_table(pages: Sequence[LandedPage]) -> dict[str, dict[str, tuple[str, datetime | None, bytes]]]:
    """Each raw table's records by id (scope, cursor, JSON); the last copy of a repeated id wins."""
    latest: dict[str, dict[str, tuple[str, datetime | None, bytes]]] = {}
    for page in pages:
        rows = latest.setdefault(page.table, {})
        for record_id, cursor, data in page.rows:
            rows[record_id] = (page.scope, cursor, data)
    return {table: rows for table, rows in latest.items() if rows}


def _upsert(
    con: duckdb.DuckDBPyConnection,
    table: str,
    source: str,
    rows: Mapping[str, tuple[str, datetime | None, bytes]],
    synced_at: datetime,
) -> int:
    """Land the batch's new and changed rows in `table`; returns how many.

    The batch goes in as list parameters and one text of its JSON, unnested in SQL: a bulk insert,
    never row by row, that needs neither pyarrow nor pandas in the process (DuckDB imports pandas
    to scan a registered Arrow table, ~100 MiB of the run's memory with pyarrow).
    """
    scopes, cursors, data = zip(*rows.values(), strict=True)
    # The JSON texts go in as one BLOB that SQL decodes and splits: 3x faster than one str (DuckDB
    # re-encodes a str holding any non-ASCII text), 20x faster than a list of BLOBs.
    # RECORDS_APART can be in no JSON text: JSON escapes control characters inside strings.
    texts = RECORDS_APART.join(data)
    batch = {"ids": list(rows), "scopes": list(scopes), "cursors": list(cursors), "data": texts}
    # Landed in a temp table first: its row count then known, the join below builds on it, not on
    # the raw table.
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _batch AS
        SELECT unnest($ids)::VARCHAR AS id, unnest($scopes)::VARCHAR AS scope,
               unnest($cursors)::TIMESTAMPTZ AS updated_at, unnest(string_split(decode($data), chr(30))) AS data
        """,
        batch,
    )
    # Compare by hash: the probe reads the narrow key and hash columns of the raw table, never its
    # JSON. Each text is hashed once (the filter and the column would each hash it).
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _changed AS
        SELECT b.id, b.data_hash, t.id IS NOT NULL AS stored
        FROM (SELECT id, hash(data) AS data_hash FROM _batch) b
        LEFT JOIN (SELECT id, data_hash, deleted_at FROM {table} WHERE source = $source) t ON t.id = b.id
        WHERE t.id IS NULL OR t.data_hash <> b.data_hash OR t.deleted_at IS NOT NULL
        """,
        {"source": source},
    )
    ((changed, stored),) = con.execute("SELECT count(*), bool_or(stored) FROM _changed").fetchall()
    if stored:
        # Only a new version of a stored record needs the old one deleted; a first sync skips it.
        con.execute(
            f"DELETE FROM {table} t USING _changed c WHERE c.stored AND t.source = $source AND t.id = c.id",
            {"source": source},
        ).fetchall()
    if changed:
        con.execute(
            f"""
            INSERT INTO {table} (source, scope, id, updated_at, data, synced_at, deleted_at, data_hash)
            SELECT $source, b.scope, b.id, b.updated_at, b.data::JSON, $synced_at, NULL, c.data_hash
            FROM _batch b JOIN _changed c USING (id)
            """,
            {"source": source, "synced_at": synced_at},
        ).fetchall()
    return changed


def mark_deleted(
    con: duckdb.DuckDBPyConnection, table: str, source: str, scope: str, present: set[str], at: datetime
) -> int:
    """Mark the scope's raw rows whose id the tracker no longer lists as deleted; returns how many.

    Rows are kept (history stays explainable); staging leaves them out. A row that comes back in a
    later sync is upserted with deleted_at cleared.
    """
    return con.execute(
        f"""
        UPDATE {table} SET deleted_at = $at
        WHERE source = $source AND scope = $scope AND deleted_at IS NULL
          AND id NOT IN (SELECT unnest($present::VARCHAR[]))
        """,
        {"at": at, "source": source, "scope": scope, "present": sorted(present)},
    ).fetchone()[0]


INTERRUPTED = "the run stopped before this source finished (killed or crashed); the next run resumed from its committed pages"


def start_run(con: duckdb.DuckDBPyConnection, run_id: str, source: str, source_type: str) -> datetime:
    """Log the source's run as running; an earlier one still 'running' never finished: say so."""
    started = datetime.now(UTC)
    con.execute(
        "UPDATE ops.sync_runs SET status = 'interrupted', error = ? WHERE source = ? AND status = 'running'",
        [INTERRUPTED, source],
    )
    con.execute(
        "INSERT INTO ops.sync_runs VALUES (?, ?, ?, ?, NULL, NULL, NULL, 'running', NULL)",
        [run_id, source, source_type, started],
    )
    return started


def finish_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    source: str,
    *,
    requests: int,
    records: int,
    error: str | None = None,
) -> None:
    con.execute(
        """
        UPDATE ops.sync_runs SET finished_at = ?, requests = ?, records = ?, status = ?, error = ?
        WHERE run_id = ? AND source = ?
        """,
        [datetime.now(UTC), requests, records, "failed" if error else "success", error, run_id, source],
    )


def run_record(con: duckdb.DuckDBPyConnection, run_id: str, source: str) -> dict[str, Any]:
    """The source's row of ops.sync_runs for this run: status, requests, records, error."""
    row = con.execute(
        "SELECT status, requests, records, error FROM ops.sync_runs WHERE run_id = ? AND source = ?",
        [run_id, source],
    ).fetchone()
    return dict(zip(("status", "requests", "records", "error"), row, strict=True)) if row else {}


@dataclass(frozen=True)
class Publication:
    """What a publish did: the tables it wrote and those it kept from the file already published.

    Nothing written (`unchanged`) means the published file was left as it was, not even renamed.
    """

    path: Path
    written: list[str]
    kept: list[str]
    dropped: list[str]

    @property
    def unchanged(self) -> bool:
        return not self.written and not self.dropped


def publish(con: duckdb.DuckDBPyConnection, warehouse: Path, schemas: Collection[str] | None = None) -> Path:
    """Copy the working database's tables in `schemas` (default: all) to `warehouse`; see publish_changes."""
    return publish_changes(con, warehouse, schemas).path


def publish_changes(
    con: duckdb.DuckDBPyConnection, warehouse: Path, schemas: Collection[str] | None = None
) -> Publication:
    """Publish the working database's tables in `schemas` (None: every schema) to `warehouse`
    atomically, readable by DuckDB 1.1+, rewriting only the tables that changed.

    The new file is written beside the published one, then renamed over it. Readers that hold the
    old file keep reading it (the rename swaps the directory entry, not the file they opened); the
    next reader to open the path sees the new one, complete. A run killed before the rename leaves
    the old file as it was, and its half-written copy is removed by the next publish.

    Which tables changed is known from a fingerprint of each one (rows, definition, comments),
    kept beside the working database with the published file's identity. When the file at
    `warehouse` is the one this database last published, the new file starts as a byte copy of it
    and only the changed tables are replaced, and when nothing changed the file is left alone.
    Otherwise (a first publish, a file replaced by hand, every table changed, a schema no longer
    published) it is written whole.
    """
    warehouse = Path(warehouse)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    # Only one run writes (the working database's lock), so any copy lying here is a dead run's.
    for leftover in warehouse.parent.glob(f".{glob.escape(warehouse.name)}.*.tmp*"):
        leftover.unlink(missing_ok=True)
    tables = {table: _fingerprint(con, table, text) for table, text in _definitions(con, schemas).items()}
    record = _record_path(con)
    before = _published_before(record, warehouse)
    changed = [table for table, print_ in tables.items() if before.get(table) != print_]
    dropped = sorted(set(before) - set(tables))
    kept = sorted(set(tables) - set(changed))
    if before and not changed and not dropped:
        return Publication(warehouse, [], kept, [])
    tmp = warehouse.with_name(f".{warehouse.name}.{os.getpid()}.tmp")
    if before and kept and not dropped:
        shutil.copyfile(warehouse, tmp)
    else:  # nothing to keep, or tables to drop: their space would stay in a copy of the old file
        changed, kept = list(tables), []
    write_copy(con, tmp, changed)
    swap_into_place(tmp, warehouse)
    if record is not None:
        _write_record(record, warehouse, tables)
    return Publication(warehouse, changed, kept, dropped)


def _definitions(con: duckdb.DuckDBPyConnection, schemas: Collection[str] | None) -> dict[str, str]:
    """The working database's tables in `schemas` (None: all), in a stable order, each with its
    definition and comments as one text, all read by one query (a query per table read every
    attached database's columns each time). A view counts as a table: the landings' raw tables
    show there as views (pipelines/landing.py), published as the tables they read."""
    rows = con.execute(
        f"""
        SELECT schema_name, name,
               [t.sql, t.comment, (SELECT list(c.comment ORDER BY c.column_index)::VARCHAR
                                   FROM duckdb_columns() c WHERE c.table_oid = t.oid)]::VARCHAR
        FROM ({_RELATIONS}) t
        WHERE database_name = current_database() AND NOT temporary
          AND ($schemas::VARCHAR[] IS NULL OR list_contains($schemas::VARCHAR[], schema_name))
        ORDER BY schema_name, name
        """,
        {"schemas": None if schemas is None else list(schemas)},
    ).fetchall()
    return {f"{schema}.{table}": definition for schema, table, definition in rows}


def _fingerprint(con: duckdb.DuckDBPyConnection, table: str, definition: str) -> str:
    """Rows (a sum of row hashes: order-free), definition and comments: equal means same table."""
    ((rows, total),) = con.execute(
        f"SELECT count(*), sum(hash(t))::VARCHAR FROM {_quoted(table)} AS t"
    ).fetchall()
    return f"{rows}:{total}:{hashlib.sha256(definition.encode()).hexdigest()}"


def _record_path(con: duckdb.DuckDBPyConnection) -> Path | None:
    """Where the fingerprints of the last publish are kept: beside the working database's file."""
    ((path,),) = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    return Path(f"{path}.published.json") if path else None


def _identity(path: Path) -> list[int]:
    """Which file stands at `path`: a copy or a replacement by hand differs in inode or mtime."""
    stat = path.stat()
    return [stat.st_ino, stat.st_size, stat.st_mtime_ns]


def _published_before(record: Path | None, warehouse: Path) -> dict[str, str]:
    """The tables' fingerprints when `warehouse` is still the file this database last published, else {}."""
    try:
        if record is None:
            return {}
        last = json.loads(record.read_text(encoding="utf-8"))
        same = (
            last["path"] == str(warehouse.absolute())
            and last["file"] == _identity(warehouse)
            and last["storage_version"] == PUBLISH_STORAGE_VERSION
        )
        return dict(last["tables"]) if same else {}
    except (OSError, ValueError, KeyError, TypeError):
        return {}  # no record, no file, or a record this version cannot read: write it whole


def _write_record(record: Path, warehouse: Path, tables: Mapping[str, str]) -> None:
    text = json.dumps(
        {
            "path": str(warehouse.absolute()),
            "file": _identity(warehouse),
            "storage_version": PUBLISH_STORAGE_VERSION,
            "tables": dict(tables),
        },
        indent=1,
    )
    tmp = record.with_name(f"{record.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, record)


# The copy streams each table into the new file: under the working database's 2 GB limit DuckDB
# cached what it read, +150 MiB at 100k issues (the whole run's peak); under 96 MB, +89 MiB and as fast.
PUBLISH_DUCKDB = {"memory_limit": "96MB"}


def write_copy(con: duckdb.DuckDBPyConnection, path: Path, tables: Sequence[str]) -> None:
    """Write `tables` of the working database into the DuckDB file at `path`: created in the
    storage version older readers open, or else updated in its own."""
    work = con.execute("SELECT current_database()").fetchone()[0]
    # The path as a parameter, absolute and of TYPE duckdb: whatever it holds (quotes, a prefix
    # like `md:` that DuckDB would read as a remote database) it names a local DuckDB file. An
    # existing file keeps its storage version (attaching does not upgrade it).
    con.execute(
        "ATTACH ? AS _publish (TYPE duckdb, STORAGE_VERSION ?)",
        [str(Path(path).absolute()), PUBLISH_STORAGE_VERSION],
    )
    try:
        with settings(con, PUBLISH_DUCKDB):
            for table in tables:
                copy_table(con, work, table, "_publish")
            con.execute("CHECKPOINT _publish")
    finally:
        con.execute("DETACH _publish")
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _quoted(table: str) -> str:
    schema, _, name = table.partition(".")
    return f"{sql_identifier(schema)}.{sql_identifier(name)}"


def copy_table(
    con: duckdb.DuckDBPyConnection, work: str, table: str, into: str, source: str | None = None
) -> None:
    """Replace `table` in database `into` by database `work`'s (both attached to `con`): its
    definition (constraints included), rows and comments, as COPY FROM DATABASE would copy them;
    only the rows of `source` when given. Database names come from file names: quoted here."""
    schema, _, name = table.partition(".")
    ((definition, comment, view),) = con.execute(
        f"""
        SELECT sql, comment, oid IN (SELECT view_oid FROM duckdb_views()) FROM ({_RELATIONS})
        WHERE database_name = ? AND schema_name = ? AND name = ?
        """,
        [work, schema, name],
    ).fetchall()
    columns = con.execute(
        """
        SELECT column_name, comment FROM duckdb_columns()
        WHERE database_name = ? AND schema_name = ? AND table_name = ?
        """,
        [work, schema, name],
    ).fetchall()
    target = f"{sql_identifier(into)}.{_quoted(table)}"
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {sql_identifier(into)}.{sql_identifier(schema)}")
    con.execute(f"DROP TABLE IF EXISTS {target}")
    rows = f"SELECT * FROM {sql_identifier(work)}.{_quoted(table)}"
    if view:  # a table of the rows it shows
        con.execute(f"CREATE TABLE {target} AS {rows}")
        return
    # The definition DuckDB stored names the table by schema only: run it with `into` current.
    current = sql_identifier(con.execute("SELECT current_database()").fetchone()[0])
    con.execute(f"USE {sql_identifier(into)}")
    try:
        con.execute(definition)
    finally:
        con.execute(f"USE {current}")
    if source is None:
        con.execute(f"INSERT INTO {target} {rows}")
    else:
        con.execute(f"INSERT INTO {target} {rows} WHERE source = ?", [source])
    if comment:
        con.execute(f"COMMENT ON TABLE {target} IS {sql_literal(comment)}")
    for column, text in columns:
        if text:
            con.execute(f"COMMENT ON COLUMN {target}.{sql_identifier(column)} IS {sql_literal(text)}")


def swap_into_place(copy: Path, warehouse: Path) -> None:
    """Rename the finished copy over the published file, durably (the directory entry is synced too)."""
    os.replace(copy, warehouse)
    directory = os.open(warehouse.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
