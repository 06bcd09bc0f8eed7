"""The reliability suite: faults, crashes, BI readers and secrets, with the figures it prints.

Each scenario runs short by default (part of `make test`); its long version carries the
`reliability` marker and runs only when asked for (`make reliability`: `pytest -m reliability`).
Every test adds what it did to `FIGURES`, printed at the end of the session by tests/conftest.py
(under pytest-xdist the workers' figures are added up there, where the summary is printed).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import pytest

from pipelines.demo import DEMO_EMAIL, EMAIL_ENV, TOKEN_ENV

LONG = pytest.mark.reliability


@dataclass
class Figures:
    faults: Counter[str] = field(default_factory=Counter)  # injected, by kind
    kill_points: int = 0  # runs SIGKILLed at a chosen point
    runs: int = 0  # pipeline runs, killed ones included
    rows_lost: int = 0  # issues missing from or stale in a converged warehouse
    ghosts: int = 0  # deleted or transferred issues still in the marts
    duplicates: int = 0  # extra copies of a work item, raw record or cursor
    cursor_violations: int = 0  # issues older than a committed cursor that raw did not hold as they are
    reader_queries: int = 0
    reader_errors: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Plain types only: what a pytest-xdist worker can send to the controller."""
        return {**asdict(self), "faults": dict(self.faults)}

    def add(self, other: dict[str, Any]) -> None:
        """Add a worker's figures (`as_dict`) to these."""
        for name, value in other.items():
            if name == "faults":
                self.faults.update(value)
            else:
                setattr(self, name, getattr(self, name) + value)

    def lines(self) -> list[str]:
        request = sum(n for kind, n in self.faults.items() if kind not in ("edit", "delete", "transfer"))
        changes = sum(self.faults.values()) - request
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(self.faults.items()))
        return [
            f"faults injected: {request + changes} ({request} on requests, {changes} tracker changes between runs)",
            f"  by kind: {kinds or 'none'}",
            f"kill points tried: {self.kill_points}",
            f"runs: {self.runs}",
            f"rows lost: {self.rows_lost}",
            f"ghost rows: {self.ghosts}",
            f"duplicates: {self.duplicates}",
            f"cursor violations: {self.cursor_violations}",
            f"reader queries: {self.reader_queries}, reader errors: {self.reader_errors}",
        ]


FIGURES = Figures()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Long versions only when `-m` names the marker: plain `pytest` runs the short ones."""
    if "reliability" in (config.option.markexpr or ""):
        return
    long = [item for item in items if item.get_closest_marker("reliability")]
    if long:
        config.hook.pytest_deselected(items=long)
        items[:] = [item for item in items if not item.get_closest_marker("reliability")]


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A pytest-xdist worker hands its figures to the controller (tests/conftest.py adds them up)."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["reliability_figures"] = FIGURES.as_dict()


SECRET_TOKEN = "reliability-token"  # what secrets_env puts in the token variable


@pytest.fixture
def secrets_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(TOKEN_ENV, SECRET_TOKEN)
    monkeypatch.setenv(EMAIL_ENV, DEMO_EMAIL)
    yield
