"""Resources injected by name: `settings` (config file and as_of), `landings` (each source's own
landing, which its sync step writes) and `duckdb` (the working database the models build in).

Each takes the warehouse's run lock when a run starts it: once per run with the in-process
executor, once per step process with the multiprocess one. A step process of a run whose own
process holds the lock goes ahead (`trackerlake run` names its run by the RUN_LOCK tag); any other
run is refused. Parallel sync steps do not wait on each other: each writes only its own landing file,
which DuckDB's own file lock keeps to one writer.
"""

from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import PrivateAttr

from pipelines import config as config_module
from pipelines import heap, runlock, warehouse
from pipelines.config import Config
from pipelines.landing import SourceFiles

RUN_LOCK = "trackerlake/run_lock"  # a run's tag: who holds the run lock for it (runlock.hold's `run`)


def hold_run_lock(stack: ExitStack, work_database: Path, context: dg.InitResourceContext) -> None:
    """The run lock held until `stack` closes, for the run `context` belongs to."""
    run = context.dagster_run.tags.get(RUN_LOCK, context.run_id) if context.dagster_run else None
    work_database.parent.mkdir(parents=True, exist_ok=True)
    stack.enter_context(runlock.hold(work_database, run=run))


class TrackerlakeSettings(dg.ConfigurableResource):
    """Which trackerlake.yaml a run uses and the instant it treats as "now" (as_of)."""

    config_path: str
    as_of: str | None = None

    def load(self) -> Config:
        return config_module.load(self.config_path)

    def as_of_time(self) -> datetime:
        """`as_of` from the run, else from the config file, else the current instant (UTC)."""
        if self.as_of:
            return parse_as_of(self.as_of)
        configured = config_module.load(self.config_path, check_env=False).as_of
        return configured or datetime.now(UTC)


class Landings(dg.ConfigurableResource):
    """Each source's landing, a DuckDB file of its own under `directory` (pipelines/landing.py)."""

    directory: str
    work_database: str  # whose run lock a step holds, and where versions before landings synced

    _lock: ExitStack = PrivateAttr(default_factory=ExitStack)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        hold_run_lock(self._lock, Path(self.work_database), context)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self._lock.close()

    def writer(self, source: str) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        """The connection only `source`'s sync writes through."""
        return SourceFiles(Path(self.directory), Path(self.work_database)).writer(source)


class WorkDatabase(DuckDBResource):
    """The pipeline's own DuckDB file (models, ops), where every source's landing shows as `raw.*`
    views. Only the run opens it; BI reads the published copy.

    A run holds the warehouse's run lock while the resource lives, so a run Dagster launches and a
    `trackerlake run` never interleave their steps. It also keeps one connection for the whole run
    (per step process): opening the file costs ~15 ms (its catalog is read anew), which every asset
    and check used to pay, 114 times per run.
    """

    landing: str | None = None  # the landings' directory (none: the connection attaches none)
    sources: list[str] = []  # the configured sources, whose landings the connection attaches

    _lock: ExitStack = PrivateAttr(default_factory=ExitStack)
    _in_run: bool = PrivateAttr(default=False)
    _con: duckdb.DuckDBPyConnection | None = PrivateAttr(default=None)
    _opened: ExitStack = PrivateAttr(default_factory=ExitStack)  # closes the run's connection

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        hold_run_lock(self._lock, Path(self.database), context)
        self._in_run = True

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        # Closed before the lock goes, so the next run (or the run's read-only summary) opens a
        # file no connection of this run holds.
        self._in_run = False
        self._drop()
        self._lock.close()

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The run's connection, opened by the first step that asks; outside a run, one per block.

        A block that fails leaves no transaction open: what it began is rolled back, so the next
        step starts clean. A connection DuckDB invalidated (a fatal error, a full disk) is closed,
        and the next step opens a new one. Settings a step changes it puts back itself
        (`warehouse.settings`).
        """
        if not self._in_run:
            with self._connect() as con:
                yield con
            return
        if self._con is None:
            self._con = self._opened.enter_context(self._connect())
        heap.release_free_memory()  # what the step before freed, before this one's work adds to it
        try:
            yield self._con
        except BaseException:
            self._recover()
            raise

    @contextmanager
    def _connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A new connection, closed also when the block fails.

        DuckDBResource closes it only after a block that succeeded; a failed step's connection
        would then stay open with the step's settings, and the next connection to the file (the
        run's summary, read-only) be refused for its different configuration.
        """
        with super().get_connection() as con:
            try:
                if self.landing is not None:
                    SourceFiles(Path(self.landing)).attach(con, self.sources)
                yield con
            finally:
                _checkpoint_capped(con)
                con.close()

    def _recover(self) -> None:
        if self._con is None:
            return
        try:
            self._con.execute("ROLLBACK")
        except duckdb.TransactionException:
            pass  # no transaction was open: nothing to undo
        except duckdb.Error:
            self._drop()  # invalidated: useless to the next step

    def _drop(self) -> None:
        self._con = None
        self._opened.close()


# The working database's WAL holds every model the run built (its checkpoint threshold is high, so
# that a build is not checkpointed piecemeal). Folded into the file when the connection closes,
# under the connection's own limit, it took the 100k first run's peak from 366 to 484 MiB.
CLOSING_CHECKPOINT = {"memory_limit": "128MB"}


def _checkpoint_capped(con: duckdb.DuckDBPyConnection) -> None:
    """Fold the WAL into the file under CLOSING_CHECKPOINT; left to close when that fails (an
    invalidated connection, too little memory)."""
    try:
        with warehouse.settings(con, CLOSING_CHECKPOINT):
            con.execute("CHECKPOINT")
    except duckdb.Error:
        pass  # close checkpoints as it always did


def parse_as_of(value: str) -> datetime:
    """ISO 8601 date or time; a value without a zone is UTC."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
