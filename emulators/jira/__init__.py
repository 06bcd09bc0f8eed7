"""The Jira Cloud/Data Center emulator: handler, in-memory site, JSON shapes, generated story, JQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from emulators.emulated import Emulated
from emulators.jira.api import JiraApi
from emulators.jira.faults import FAULTS
from emulators.jira.model import JiraSite
from emulators.jira.story import generate_jira
from emulators.org import Clock, Person


def build(*, seed: int, scale: float, as_of: datetime, people: tuple[Person, ...], clock: Clock) -> JiraSite:
    """The acme site at as_of (the story stamps its history itself)."""
    return generate_jira(seed, scale, as_of, clock=clock, people=people)


def demo_source(base_url: str, model: JiraSite) -> dict[str, Any]:
    """The demo source of every project: a Cloud site at `base_url` (Data Center paths answer too)."""
    return {"base_url": base_url, "deployment": "cloud", "projects": sorted(model.projects)}


EMULATED = Emulated(
    type="jira",
    build=build,
    mount=JiraApi,
    source=demo_source,
    faults=FAULTS,
    secrets={"email": "demo@example.com", "token": "demo-token"},
)
