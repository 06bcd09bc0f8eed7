"""The GitHub REST emulator: handler, in-memory model, JSON shapes, generated story, budgets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from emulators.emulated import Emulated
from emulators.github.api import GitHubApi
from emulators.github.faults import FAULTS
from emulators.github.model import GitHubModel
from emulators.github.story import HISTORY_DAYS, build_github
from emulators.org import Clock, Person


def build(
    *, seed: int, scale: float, as_of: datetime, people: tuple[Person, ...], clock: Clock
) -> GitHubModel:
    """The acme repos; the story walks the clock from as_of - HISTORY_DAYS, stamping each change."""
    model = GitHubModel(clock)
    build_github(model, people, seed, scale, as_of)
    return model


def demo_source(base_url: str, model: GitHubModel) -> dict[str, Any]:
    """The demo source of every repo, served at `base_url` (like GitHub Enterprise's /api/v3)."""
    return {"base_url": base_url, "repos": [repo.full_name for repo in model.repos.values()]}


EMULATED = Emulated(
    type="github",
    build=build,
    mount=GitHubApi,
    source=demo_source,
    secrets={"token": "demo-token"},
    history_days=HISTORY_DAYS,
    faults=FAULTS,
)
