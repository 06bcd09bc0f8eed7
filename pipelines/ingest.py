"""Run one configured source's connector into the working database.

Each page is committed with its stream state in one transaction (`warehouse.commit_page`), so a
killed run resumes from the last committed page. A stream that fails stops its source; the error
lands in `ops.sync_runs` and is raised to the caller (Dagster retries, then marks the asset failed).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime

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
