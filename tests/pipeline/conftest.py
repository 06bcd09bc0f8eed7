"""A generated organisation on the emulator and a config pointing at it, per test."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulators.generator import DEMO_AS_OF, generate_org
from emulators.org import Org
from emulators.server import EmulatorServer
from pipelines import config as config_module
from pipelines.config import Config
from pipelines.demo import DEMO_EMAIL, EMAIL_ENV, TOKEN_ENV, emulator_config, write_config
from pipelines.run import RunOutcome, execute

AS_OF = DEMO_AS_OF

# The report's charts drawn by this process's runs, by digest of their rows (pipelines/report_charts.py).
# Each harness starts with them in its charts file, as a nightly run finds the last report's: its
# report draws only charts whose rows no earlier test drew. Drawing them is half of a half-scale
# first run; tests/report draws every chart from nothing.
DRAWN: dict[str, str] = {}


class Harness:
    """An emulated organisation, its server and a config for it: run the pipeline, look at the results."""

    def __init__(self, org: Org, server: EmulatorServer, tmp_path: Path, **github: object) -> None:
        """`github` overrides settings of the GitHub source (per_page, census_days, ...)."""
        self.org, self.server = org, server
        raw = emulator_config(
            org, server.url, tmp_path / "published" / "trackerlake.duckdb", tmp_path / "work"
        )
        for source in raw["sources"]:
            if source["type"] == "github":
                source.update(github)
        raw["publish"] = {"include": ["raw", "intermediate"]}  # the tests read these from the published file
        self.path = write_config(tmp_path / "trackerlake.yaml", raw)
        self.config: Config = config_module.load(self.path)
        self.charts = Path(
            f"{self.config.work_database}.charts.json"
        )  # where pipelines/defs/report.py keeps them
        if DRAWN:
            self.charts.parent.mkdir(parents=True, exist_ok=True)
            self.charts.write_text(json.dumps(DRAWN), encoding="utf-8")

    def run(self, as_of=AS_OF, **kwargs: object) -> RunOutcome:
        outcome = execute(self.config, self.path, as_of, **kwargs)
        assert outcome.success, outcome.failures
        if self.charts.exists():
            DRAWN.update(json.loads(self.charts.read_text(encoding="utf-8")))
        return outcome

    def github_log(self) -> list[dict]:
        """The GitHub emulator's request log since it was last reset."""
        return [e for e in self.server.request_log if e["path"].startswith("/github/")]

    def requests_by_stream(self) -> dict[tuple[str, str], int]:
        """GitHub requests per (repo, endpoint) since the log was last reset."""
        counts: dict[tuple[str, str], int] = {}
        for entry in self.github_log():
            parts = entry["path"].split("/")
            if parts[2] == "repositories":  # /github/repositories/{id}/{endpoint}: a followed Link
                key = (parts[3], "/".join(parts[4:]))
            else:  # /github/repos/{o}/{r}/{endpoint...}
                key = (f"{parts[3]}/{parts[4]}", "/".join(parts[5:]))
            counts[key] = counts.get(key, 0) + 1
        return counts


@pytest.fixture
def emulated(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Org, EmulatorServer]]:
    """A fresh demo organisation (seed 7, half scale) served on loopback."""
    monkeypatch.setenv(TOKEN_ENV, "test-token")
    monkeypatch.setenv(EMAIL_ENV, DEMO_EMAIL)
    org = generate_org(seed=7, scale=0.5)
    with EmulatorServer(org) as server:
        yield org, server


@pytest.fixture
def harness(emulated: tuple[Org, EmulatorServer], tmp_path: Path) -> Harness:
    return Harness(*emulated, tmp_path)
