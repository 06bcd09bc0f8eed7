"""Resources injected by name: `settings` (config file and as_of) and `duckdb` (the working database)."""

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import PrivateAttr

from pipelines import config as config_module
from pipelines import runlock
from pipelines.config import Config


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


class WorkDatabase(DuckDBResource):
    """The pipeline's own DuckDB file (raw, ops, models). Only the run opens it; BI reads the published copy.

    A run holds the warehouse's run lock while the resource lives (once per run with the in-process
    executor), so a run Dagster launches and a `trackerlake run` never interleave their steps. It
    also keeps one connection for the whole run: opening the file costs ~15 ms (its catalog is
    read anew), which every asset and check used to pay, 114 times per run.
    """

    _lock: ExitStack = PrivateAttr(default_factory=ExitStack)
    _in_run: bool = PrivateAttr(default=False)
    _con: duckdb.DuckDBPyConnection | None = PrivateAttr(default=None)
    _opened: ExitStack = PrivateAttr(default_factory=ExitStack)  # closes the run's connection

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        self._lock.enter_context(runlock.hold(Path(self.database)))
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
                yield con
            finally:
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


def parse_as_of(value: str) -> datetime:
    """ISO 8601 date or time; a value without a zone is UTC."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
