"""Run one configured source's connector into the working database.

Each page is committed with its stream state in one transaction (`warehouse.commit_pages`), so a
killed run resumes from the last committed page. A stream that fails stops its source; the error
lands in `ops.sync_runs` and is raised to the caller, which goes on with the other sources.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from connectors import TRACKERS
from connectors.base import Connector, Page, Stream
from connectors.http import ConnectorError, printable
from connectors.source_config import SourceBase
from pipelines import warehouse
from pipelines.config import source_secrets

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


def make_connector(source: SourceBase) -> Connector:
    """Build the source's connector with its secrets read from the environment, here and only here."""
    cls = TRACKERS[source.type].connector
    settings = source.model_dump(mode="json")
    return cls(cls.client_for(settings, **source_secrets(source)), settings)


CENSUS = "_census"  # the ops.sync_state stream name that remembers when a scope was last counted


def census_due(con: duckdb.DuckDBPyConnection, source: SourceBase, scope: str) -> bool:
    """A census is due after `--full-refresh` (all state forgotten) and every `census_days`."""
    last = warehouse.read_state(con, source.name, scope, CENSUS)
    if not last:
        return True
    return datetime.now(UTC) - datetime.fromisoformat(last["at"]) >= timedelta(days=source.census_days)


def mark_census(
    con: duckdb.DuckDBPyConnection, connector: Connector, source: str, scope: str, present: set[str]
) -> int:
    """Mark the raw rows whose ids the tracker no longer lists as deleted, and note the census time."""
    now = datetime.now(UTC)
    table = warehouse.raw_table(connector.source_type, connector.census_stream)
    with warehouse.transaction(con):
        deleted = warehouse.mark_deleted(con, table, source, scope, present, now)
        warehouse.write_state(con, source, scope, CENSUS, {"at": now.isoformat()}, now)
    if deleted:
        log.info("source %s %s: %d records gone from the tracker, marked deleted", source, scope, deleted)
    return deleted


@dataclass
class _ScopeDone:
    """A scope's fetch thread finished (error None) or failed."""

    scope: str
    error: BaseException | None = None


@dataclass
class _Census:
    scope: str
    present: set[str]


class _Budget:
    """Bytes of JSON the fetch threads may hold queued or in the writer's batch: a fetch thread
    waits for the writer to commit before it queues more. Counted in bytes, not pages: a page of
    pull requests holds ten times the JSON of a page of events."""

    def __init__(self, limit: int) -> None:
        self._free = self._limit = limit
        self._freed = threading.Condition()

    def take(self, size: int, stop: threading.Event) -> bool:
        """Wait until `size` bytes are free (a page larger than the whole budget: until all are);
        False when `stop` is set meanwhile."""
        with self._freed:
            while not stop.is_set():
                if self._free >= min(size, self._limit):
                    self._free -= size
                    return True
                self._freed.wait(0.1)  # and look at `stop` again
            return False

    def give(self, size: int) -> None:
        with self._freed:
            self._free += size
            self._freed.notify_all()


def _fetch_scope(
    connector: Connector,
    scope: str,
    states: dict[str, dict | None],
    tables: dict[str, str],
    census: bool,
    out: queue.Queue,
    budget: _Budget,
    stop: threading.Event,
) -> None:
    """One scope's streams, in order, page by page onto `out`; then its census when one is due.

    Runs on a network thread: it never touches DuckDB, but turns each page into rows ready to land
    while the writer is busy in DuckDB. The byte budget makes it wait for the writer, so memory
    stays flat however large the scope. Always ends with one `_ScopeDone`.
    """
    error: BaseException | None = None
    try:
        for stream in connector.streams:
            if stop.is_set():
                return
            for page in connector.read(scope, stream, states[stream.name]):
                landed = _landed(connector, tables[stream.name], scope, stream, page)
                if not budget.take(landed.size, stop):
                    return
                out.put(landed)
        if census and not stop.is_set():
            out.put(_Census(scope, connector.census(scope)))
    except BaseException as exc:  # handed to the writer, which stops the others and reports it
        error = exc
    finally:
        out.put(_ScopeDone(scope, error))


# A transaction costs milliseconds whatever its size: the writer gathers pages for a moment and
# commits them together. Gathering stops early at this many rows or bytes, or when a scope ends.
# Each batch probes the raw table's keys (a scan of its id and hash columns): smaller batches cost
# time as the tables grow (2,000 rows took the 100k sync to 1.63x its bare loop, 4 MB rather than
# 8 cost 8% more CPU). 8 MB costs the whole run's peak nothing: the model step's is higher.
BATCH_ROWS, BATCH_BYTES = 5000, 8 * 2**20
BATCH_SECONDS = 0.25
# JSON the fetch threads may have waiting for the writer or in its batch: a batch being committed
# and the next one gathering, so fetching goes on while the writer is in DuckDB.
QUEUED_BYTES = 2 * BATCH_BYTES
# The writer appends small batches and probes the raw tables by key: DuckDB needs little memory
# for that, and its cache must not grow with the raw tables (ingest memory stays flat). 96 MB
# rather than 128 took 30 MiB off the sync's peak for 3% more time; 64 MB took 30 more for 30%.
# One DuckDB thread leaves the other core to the fetch threads; checkpoints every 64 MB of WAL.
INGEST_DUCKDB = {"memory_limit": "96MB", "threads": "1", "checkpoint_threshold": "64MB"}


def sync_source(
    con: duckdb.DuckDBPyConnection,
    source: SourceBase,
    run_id: str,
    connector: Connector | None = None,
) -> SyncResult:
    """Sync every scope and stream of one source; record the run in ops.sync_runs.

    Scopes (repos, projects) are fetched by up to `source.concurrency` threads; this thread is the
    single DuckDB writer and commits the pages as they arrive, each with its state.

    Whatever the tracker's side raises (the connector, its HTTP client, a record that cannot be
    keyed: a tracker down, an answer that makes no sense, a bug) fails this source alone: every page
    committed before stays, the one-line cause goes to ops.sync_runs and a ConnectorError naming the
    source is raised. A failure of the writer's side (DuckDB, the disk) or an interrupt is raised as
    it is, and the source's run is recorded as interrupted.
    """
    with warehouse.settings(con, INGEST_DUCKDB):
        warehouse.ensure_ops(con)
        warehouse.start_run(con, run_id, source.name, source.type)
        result = SyncResult(source.name)
        try:
            failure = _sync(con, source, connector, result)
        except BaseException as exc:
            _finish(con, run_id, result, f"interrupted: {failure_text(exc)}")
            raise
        _finish(con, run_id, result, failure_text(failure) if failure is not None else None)
        # The WAL folded into the file under the ingest cap: left to the connection's close, this
        # checkpoint ran under DuckDB's default limit (80% of RAM) and was the run's peak (+135 MiB
        # at 100k issues).
        con.execute("CHECKPOINT")
    if result.error:
        raise ConnectorError(f"source {source.name}: {result.error}")
    log.info("source %s: %d records, %d requests", source.name, result.total_records, result.requests)
    return result


def failure_text(exc: BaseException) -> str:
    """Why a source failed, in one printable line: a ConnectorError says it itself; anything else
    is named with where it was raised, since no traceback is shown. Its text may quote the tracker."""
    if isinstance(exc, ConnectorError):
        return printable(str(exc))
    where = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    at = f" (at {Path(where[0].filename).name}:{where[0].lineno})" if where else ""
    return printable(f"{type(exc).__name__}: {exc}{at}")


def _finish(con: duckdb.DuckDBPyConnection, run_id: str, result: SyncResult, error: str | None) -> None:
    result.error = error
    warehouse.finish_run(
        con, run_id, result.source, requests=result.requests, records=result.total_records, error=error
    )


def _sync(
    con: duckdb.DuckDBPyConnection,
    source: SourceBase,
    connector: Connector | None,
    result: SyncResult,
) -> Exception | None:
    """The sync itself: returns what the tracker's side raised (None when it finished)."""
    try:
        connector = connector or make_connector(source)
        scopes = connector.scopes()
    except Exception as exc:  # a token that cannot go in a header, a bug: the source's failure
        return exc
    try:
        tables = {
            s.name: warehouse.ensure_raw_table(con, connector.source_type, s.name) for s in connector.streams
        }
        census_table = tables[connector.census_stream]
        # A scope's first sync reads everything: that read is its census.
        fresh = {s for s in scopes if not warehouse.has_rows(con, census_table, source.name, s)}
        states = {
            scope: {s.name: warehouse.read_state(con, source.name, scope, s.name) for s in connector.streams}
            for scope in scopes
        }
        due = {s for s in scopes if s not in fresh and census_due(con, source, s)}
        out: queue.Queue = queue.Queue()  # bounded by the budget
        budget = _Budget(QUEUED_BYTES)
        stop = threading.Event()
        with ThreadPoolExecutor(
            max_workers=source.concurrency, thread_name_prefix=f"fetch-{source.name}"
        ) as pool:
            for scope in scopes:
                pool.submit(
                    _fetch_scope, connector, scope, states[scope], tables, scope in due, out, budget, stop
                )
            try:
                failure = _write(con, connector, source.name, out, budget, len(scopes), stop, result)
            except BaseException:
                stop.set()  # the writer itself failed: the fetch threads stop at their next page
                raise
        if failure is not None:
            if not isinstance(failure, Exception):
                raise failure  # an interrupt that reached a fetch thread
            return failure
        now = datetime.now(UTC)
        for scope in fresh:
            warehouse.write_state(con, source.name, scope, CENSUS, {"at": now.isoformat()}, now)
        return None
    finally:
        result.requests = connector.client.requests


def _write(
    con: duckdb.DuckDBPyConnection,
    connector: Connector,
    source: str,
    out: queue.Queue,
    budget: _Budget,
    pending: int,
    stop: threading.Event,
    result: SyncResult,
) -> BaseException | None:
    """The writer: commit what the fetch threads queue, in order, until all `pending` are done.

    Returns the first fetch thread's failure (the others are told to stop, what they still queue
    is dropped), or None.
    """
    failure: BaseException | None = None
    while pending:
        pages: list[warehouse.LandedPage] = []
        items = _queued(out)
        for item in items:
            if failure is not None:  # drop what comes after a failure; count the threads out
                pending -= isinstance(item, _ScopeDone)
                continue
            if isinstance(item, warehouse.LandedPage):
                pages.append(item)
                continue
            _commit(con, source, pages, result)  # what came before, first
            pages = []
            if isinstance(item, _ScopeDone):
                pending -= 1
                if item.error is not None:
                    failure = item.error
                    stop.set()  # the other threads stop at their next page
            else:
                result.deleted += mark_census(con, connector, source, item.scope, item.present)
        if failure is None:
            _commit(con, source, pages, result)
        budget.give(sum(item.size for item in items if isinstance(item, warehouse.LandedPage)))
    return failure


def _queued(out: queue.Queue) -> list[Any]:
    """What the fetch threads queued: wait for one item, then gather pages for a moment.

    Returns once BATCH_ROWS rows, BATCH_BYTES of JSON or BATCH_SECONDS have gone by, or an item
    other than a page came (a census, a scope done), so that a scope's end is never held back.
    """
    items = [out.get()]
    if not isinstance(items[0], warehouse.LandedPage):
        return items
    rows, size = len(items[0].rows), items[0].size
    deadline = time.monotonic() + BATCH_SECONDS
    while rows < BATCH_ROWS and size < BATCH_BYTES:
        try:
            item = out.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        items.append(item)
        if not isinstance(item, warehouse.LandedPage):
            break
        rows, size = rows + len(item.rows), size + item.size
    return items


def _landed(connector: Connector, table: str, scope: str, stream: Stream, page: Page) -> warehouse.LandedPage:
    """A fetched page as the writer lands it: each record keyed, its cursor parsed, its JSON text."""
    rows = []
    for record in page.records:
        key = connector.record_key(stream, record)
        rows.append((key.id, key.cursor, warehouse.record_json(record)))
    return warehouse.LandedPage(table, scope, stream.name, rows, page.state)


def _commit(
    con: duckdb.DuckDBPyConnection, source: str, pages: list[warehouse.LandedPage], result: SyncResult
) -> None:
    if not pages:
        return
    changed = warehouse.commit_pages(con, source, pages, datetime.now(UTC))
    for page in pages:
        result.records[page.stream] = result.records.get(page.stream, 0) + len(page.rows)
    for stream, count in changed.items():
        result.changed[stream] = result.changed.get(stream, 0) + count
