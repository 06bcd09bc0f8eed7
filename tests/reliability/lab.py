"""A reliability lab: an emulated organisation served with a fault plan, a config for it, runs.

Settings differ from the demo's only where a test cannot wait like a nightly run can: a one-second
read timeout (so `slow` answers time out quickly), a census every run (so deletions and transfers
show at once), and small GitHub pages (so walks have many pages to fail on).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from emulators.faults import FaultPlan
from emulators.generator import generate_org
from emulators.server import EmulatorServer
from pipelines import config as config_module
from pipelines.demo import emulator_config, write_config
from pipelines.run import RunOutcome, execute

SOURCE_SETTINGS = {"timeout_seconds": 1.0, "max_retries": 6, "census_days": 1e-9}


class Lab:
    """Start with `with Lab(...) as lab`; `lab.run()` runs the pipeline in-process against it."""

    def __init__(
        self, tmp_path: Path, spec: str = "", scale: float = 0.5, per_page: int = 20, **settings: object
    ) -> None:
        self.org = generate_org(seed=7, scale=scale)
        self.plan = FaultPlan.parse(spec)
        self.server = EmulatorServer(self.org, faults=self.plan)
        self.tmp_path = tmp_path
        self.per_page = per_page
        self.settings = {**SOURCE_SETTINGS, **settings}
        self.runs = 0

    def __enter__(self) -> Lab:
        self.server.start()
        raw = emulator_config(
            self.org,
            self.server.url,
            self.tmp_path / "published" / "trackerlake.duckdb",
            self.tmp_path / "work",
        )
        for source in raw["sources"]:
            source.update(self.settings)
            if source["type"] == "github":
                source["per_page"] = self.per_page
        raw["publish"] = {"include": ["raw"]}  # BI readers (readers.STATE) count raw issues too
        self.config_path = write_config(self.tmp_path / "trackerlake.yaml", raw)
        self.config = config_module.load(self.config_path)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    @property
    def warehouse(self) -> Path:
        return self.config.warehouse

    @property
    def work_database(self) -> Path:
        return self.config.work_database

    def as_of(self) -> datetime:
        """An hour after the trackers' clock: every change so far is in the past of the run."""
        return self.org.clock + timedelta(hours=1)

    def run(self, **kwargs: object) -> RunOutcome:
        self.runs += 1
        return execute(self.config, self.config_path, self.as_of(), **kwargs)

    def churn(self) -> dict[str, int]:
        return self.plan.churn(self.org)

    @contextmanager
    def calm(self) -> Iterator[None]:
        """No request faults for a while (churn still works): the network healed."""
        self.server.faults = None
        try:
            yield
        finally:
            self.server.faults = self.plan
