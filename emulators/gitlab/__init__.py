"""The GitLab REST (v4) emulator: handler, in-memory model, JSON shapes, generated story."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from emulators.emulated import Emulated
from emulators.gitlab.api import GitLabApi
from emulators.gitlab.faults import FAULTS
from emulators.gitlab.model import GitLabModel
from emulators.gitlab.story import generate_gitlab
from emulators.org import Clock, Person


def build(
    *, seed: int, scale: float, as_of: datetime, people: tuple[Person, ...], clock: Clock
) -> GitLabModel:
    """The acme groups and projects at as_of (the story stamps its history on a clock of its own)."""
    return generate_gitlab(seed, scale, as_of, people, clock)


def demo_source(base_url: str, model: GitLabModel) -> dict[str, Any]:
    """The demo source of every project, served at `base_url` (which stands for https://HOST/api/v4)."""
    return {
        "base_url": base_url,
        "projects": sorted(project.full_path for project in model.projects.values()),
    }


EMULATED = Emulated(
    type="gitlab",
    build=build,
    mount=GitLabApi,
    source=demo_source,
    secrets={"token": "demo-token"},
    faults=FAULTS,
)
