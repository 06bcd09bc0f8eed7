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
    executor), so a run Dagster launches and a `trackerlake run` never interleave their steps.
    """

    _lock: ExitStack = PrivateAttr(default_factory=ExitStack)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        self._lock.enter_context(runlock.hold(Path(self.database)))

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self._lock.close()

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The parent's connection, closed also when the block fails.

        DuckDBResource closes it only after a block that succeeded; a failed step's connection
        then stays open with the step's settings, and the next connection to the file (the run's
        summary, read-only) is refused for its different configuration.
        """
        with super().get_connection() as con:
            try:
                yield con
            finally:
                con.close()


def parse_as_of(value: str) -> datetime:
    """ISO 8601 date or time; a value without a zone is UTC."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
