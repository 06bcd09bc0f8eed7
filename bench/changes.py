"""Change a fraction of the issues through the emulator models' own change methods.

Each tracker's bench module (bench/trackers.py) edits its chosen issues in turn with ordinary
edits (a state change, a label, a milestone or priority, a new title), stamped at the organisation
clock's current time, so the trackers record them as a user's edits would be: updated timestamps,
issue events, changelog entries, resource events.
"""

from __future__ import annotations

from bench import trackers
from emulators.org import Org


def change_fraction(org: Org, fraction: float, seed: int = 7) -> dict[str, int]:
    """Edit `fraction` of every scope's issues; returns how many were edited per "<tracker> <scope>"."""
    return {
        f"{kind} {scope}": edited
        for kind, model in org.models.items()
        for scope, edited in trackers.module(kind).change(model, fraction, seed).items()
    }
