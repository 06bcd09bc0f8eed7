"""The DuckDB side of ingest: raw tables, sync state and run log, and publishing.

The pipeline writes to a *working* database (raw data, cursors, models) that only it opens. Once
the blocking checks pass, `publish` copies it to the configured warehouse path under a temporary
name, written with a storage version that DuckDB 1.1+ readers open, and renames it into place, so
a BI tool reading the published file never waits on the pipeline nor sees a half-built state.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

# BI drivers bundle older DuckDB builds; DuckDB 2.x writes a format 1.x cannot read unless asked.
PUBLISH_STORAGE_VERSION = "v1.1.0"

RAW_COLUMNS = """
    source     VARCHAR NOT NULL,
    scope      VARCHAR NOT NULL,
    id         VARCHAR NOT NULL,
    updated_at TIMESTAMPTZ,
    data       JSON NOT NULL,
    synced_at  TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ
"""

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
"""


def raw_table(source_type: str, stream: str) -> str:
    return f"raw.{source_type}_{stream}"


def ensure_ops(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(OPS_DDL)


def ensure_raw_table(con: duckdb.DuckDBPyConnection, source_type: str, stream: str) -> str:
    """Create `raw.<type>_<stream>` if needed; every stream lands in the same shape."""
    table = raw_table(source_type, stream)
    con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({RAW_COLUMNS})")
    con.execute(
        f"COMMENT ON TABLE {table} IS 'Landed {source_type} {stream} records, one per source and id, "
        "upserted by primary key; data keeps the record as the API returned it.'"
    )
    return table


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


def commit_page(
    con: duckdb.DuckDBPyConnection,
    table: str,
    source: str,
    scope: str,
    stream: str,
    rows: Iterable[tuple[str, datetime | None, Mapping[str, Any]]],
    state: Mapping[str, Any] | None,
    synced_at: datetime,
) -> int:
    """Upsert one page of records and, in the same transaction, the stream's new state.

    `rows` are (id, cursor time, record). A record identical to the stored one is left alone, so a
    run that re-reads an overlap changes nothing. Returns the number of rows inserted or changed.
    """
    frame = _page_frame(source, scope, rows, synced_at)
    con.execute("BEGIN TRANSACTION")
    try:
        changed = 0
        if len(frame):
            con.register("_page", frame)
            changed = con.execute(
                f"""
                SELECT count(*) FROM _page p
                LEFT JOIN {table} t ON t.source = p.source AND t.id = p.id
                WHERE t.id IS NULL OR t.data::VARCHAR <> p.data OR t.deleted_at IS NOT NULL
                """
            ).fetchone()[0]
            con.execute(
                f"""
                DELETE FROM {table} t USING _page p
                WHERE t.source = p.source AND t.id = p.id
                  AND (t.data::VARCHAR <> p.data OR t.deleted_at IS NOT NULL)
                """
            )
            con.execute(
                f"""
                INSERT INTO {table}
                SELECT p.source, p.scope, p.id, p.updated_at, p.data::JSON, p.synced_at, NULL
                FROM _page p
                WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.source = p.source AND t.id = p.id)
                """
            )
            con.unregister("_page")
        if state is not None:
            write_state(con, source, scope, stream, state, synced_at)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return int(changed)


def _page_frame(
    source: str,
    scope: str,
    rows: Iterable[tuple[str, datetime | None, Mapping[str, Any]]],
    synced_at: datetime,
) -> pd.DataFrame:
    """One DataFrame per page (never row-by-row inserts); the last copy of a repeated id wins."""
    latest: dict[str, tuple[datetime | None, str]] = {}
    for record_id, cursor, record in rows:
        latest[record_id] = (cursor, json.dumps(record, ensure_ascii=False, separators=(",", ":")))
    return pd.DataFrame(
        {
            "source": pd.Series([source] * len(latest), dtype="object"),
            "scope": pd.Series([scope] * len(latest), dtype="object"),
            "id": pd.Series(list(latest), dtype="object"),
            "updated_at": pd.Series([c for c, _ in latest.values()], dtype="datetime64[us, UTC]"),
            "data": pd.Series([d for _, d in latest.values()], dtype="object"),
            "synced_at": pd.Series([synced_at] * len(latest), dtype="datetime64[us, UTC]"),
        }
    )


def mark_deleted(
    con: duckdb.DuckDBPyConnection, table: str, source: str, scope: str, present: set[str], at: datetime
) -> int:
    """Mark the scope's raw rows whose id the tracker no longer lists as deleted; returns how many.

    Rows are kept (history stays explainable); staging leaves them out. A row that comes back in a
    later sync is upserted with deleted_at cleared.
    """
    ids = pd.DataFrame({"id": pd.Series(sorted(present), dtype="object")})
    con.register("_present", ids)
    try:
        return con.execute(
            f"""
            UPDATE {table} SET deleted_at = ?
            WHERE source = ? AND scope = ? AND deleted_at IS NULL
              AND id NOT IN (SELECT id FROM _present)
            """,
            [at, source, scope],
        ).fetchone()[0]
    finally:
        con.unregister("_present")


def start_run(con: duckdb.DuckDBPyConnection, run_id: str, source: str, source_type: str) -> datetime:
    started = datetime.now(UTC)
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


def publish(con: duckdb.DuckDBPyConnection, warehouse: Path) -> Path:
    """Copy the working database to `warehouse` atomically, readable by DuckDB 1.1+.

    Readers that hold the old file keep reading it (the rename swaps the directory entry, not the
    file they opened); the next reader to open the path sees the new one, complete.
    """
    warehouse = Path(warehouse)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    tmp = warehouse.with_name(f".{warehouse.name}.{os.getpid()}.tmp")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    work = con.execute("SELECT current_database()").fetchone()[0]
    con.execute(f"ATTACH '{tmp}' AS _publish (STORAGE_VERSION '{PUBLISH_STORAGE_VERSION}')")
    try:
        con.execute(f'COPY FROM DATABASE "{work}" TO _publish')
        con.execute("CHECKPOINT _publish")
    finally:
        con.execute("DETACH _publish")
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, warehouse)
    return warehouse
