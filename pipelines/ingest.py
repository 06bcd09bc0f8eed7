"""Run one configured source's connector into the working database.

Each page is committed with its stream state in one transaction (`warehouse.commit_page`), so a
killed run resumes from the last committed page. A stream that fails stops its source; the error
lands in `ops.sync_runs` and is raised to the caller (Dagster retries, then marks the asset failed).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import duckdb

from connectors import CONNECTORS
from connectors.base import Connector
from connectors.http import ConnectorError
from pipelines import warehouse
from pipelines.config import GitHubSource, JiraSource

log = logging.getLogger(__name__)


@dataclass
class SyncResult:
    """What one source's sync did: requests made (304s and retries included), records per stream."""

    source: str
    requests: int = 0
    records: dict[str, int] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)
    deleted: int = 0
    error: str | None = None

    @property
    def total_records(self) -> int:
        return sum(self.records.values())


def make_connector(source: GitHubSource | JiraSource) -> Connector:
    """Build the source's connector with its secrets read from the environment, here and only here."""
    cls = CONNECTORS[source.type]
    settings = source.model_dump(mode="json")
    secrets = {"token": os.environ[source.token_env]}
    if isinstance(source, JiraSource) and source.email_env:
        secrets["email"] = os.environ[source.email_env]
    return cls(cls.client_for(settings, **secrets), settings)


CENSUS = "_census"  # the ops.sync_state stream name that remembers when a scope was last counted


def census_due(con: duckdb.DuckDBPyConnection, source: GitHubSource | JiraSource, scope: str) -> bool:
    """A census is due after `--full-refresh` (all state forgotten) and every `census_days`."""
    last = warehouse.read_state(con, source.name, scope, CENSUS)
    if not last:
        return True
    return datetime.now(UTC) - datetime.fromisoformat(last["at"]) >= timedelta(days=source.census_days)


def take_census(con: duckdb.DuckDBPyConnection, connector: Connector, source: str, scope: str) -> int:
    """List every id the tracker has in the scope, mark the raw rows it no longer has as deleted."""
    present = connector.census(scope)
    now = datetime.now(UTC)
    table = warehouse.raw_table(connector.source_type, connector.census_stream)
    con.execute("BEGIN TRANSACTION")
    try:
        deleted = warehouse.mark_deleted(con, table, source, scope, present, now)
        warehouse.write_state(con, source, scope, CENSUS, {"at": now.isoformat()}, now)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    if deleted:
        log.info("source %s %s: %d records gone from the tracker, marked deleted", source, scope, deleted)
    return deleted


def sync_source(
    con: duckdb.DuckDBPyConnection,
    source: GitHubSource | JiraSource,
    run_id: str,
    connector: Connector | None = None,
) -> SyncResult:
    """Sync every scope and stream of one source; record the run in ops.sync_runs."""
    connector = connector or make_connector(source)
    warehouse.ensure_ops(con)
    warehouse.start_run(con, run_id, source.name, source.type)
    result = SyncResult(source.name)
    census_table = warehouse.ensure_raw_table(con, connector.source_type, connector.census_stream)
    # A scope's first sync reads everything: that read is its census.
    fresh = {s for s in connector.scopes() if not warehouse.has_rows(con, census_table, source.name, s)}
    try:
        for stream in connector.streams:
            table = warehouse.ensure_raw_table(con, connector.source_type, stream.name)
            for scope in connector.scopes():
                state = warehouse.read_state(con, source.name, scope, stream.name)
                for page in connector.read(scope, stream, state):
                    rows = []
                    for record in page.records:
                        key = connector.record_key(stream, record)
                        rows.append((key.id, key.cursor, record))
                    changed = warehouse.commit_page(
                        con, table, source.name, scope, stream.name, rows, page.state, datetime.now(UTC)
                    )
                    result.records[stream.name] = result.records.get(stream.name, 0) + len(rows)
                    result.changed[stream.name] = result.changed.get(stream.name, 0) + changed
        for scope in connector.scopes():
            if scope in fresh:
                now = datetime.now(UTC)
                warehouse.write_state(con, source.name, scope, CENSUS, {"at": now.isoformat()}, now)
            elif census_due(con, source, scope):
                result.deleted += take_census(con, connector, source.name, scope)
    except ConnectorError as exc:
        result.error = str(exc)
    except BaseException as exc:
        result.error = f"interrupted: {type(exc).__name__}: {exc}"
        raise
    finally:
        result.requests = connector.client.requests
        warehouse.finish_run(
            con,
            run_id,
            source.name,
            requests=result.requests,
            records=result.total_records,
            error=result.error,
        )
    if result.error:
        raise ConnectorError(f"source {source.name}: {result.error}")
    log.info("source %s: %d records, %d requests", source.name, result.total_records, result.requests)
    return result
