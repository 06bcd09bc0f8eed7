"""The fewest requests a sync can make, computed from the emulated organisation itself.

A full read needs ⌈items / page size⌉ pages per scope and stream (at least one, to learn the
list is empty), plus the child lists a tracker keeps per item (Jira's changelog pages of issues
whose embedded changelog is cut, GitLab's event lists per issue). After a change, each incremental
stream needs the pages of what changed since then, and each child list those of the changed items;
the streams read whole each run still need their one request. A read after nothing changed is a
read after a change with nothing changed. Each tracker works its floors out from its own model
(bench/trackers.py); keys are "<tracker> <scope> <stream>" (bench/request_kinds.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from types import ModuleType
from typing import Any

from bench import trackers
from emulators.exchange import Mount
from emulators.org import Org


def full_read(org: Org, mounts: Mapping[str, Mount]) -> dict[str, int]:
    """Requests a first sync needs, by request key."""
    return _per_tracker(org, lambda bench, model, mount: bench.full_read(model, mount), mounts)


def changed_read(org: Org, since: datetime, mounts: Mapping[str, Mount]) -> dict[str, int]:
    """Requests a sync needs after the changes made at or after `since`."""
    return _per_tracker(org, lambda bench, model, mount: bench.changed_read(model, mount, since), mounts)


def quiet_read(org: Org, mounts: Mapping[str, Mount]) -> dict[str, int]:
    """Requests a sync needs when nothing changed since the last: no change is that recent."""
    return changed_read(org, org.clock + timedelta(seconds=1), mounts)


def item_counts(org: Org) -> dict[str, int]:
    """What each tracker holds, as "<tracker>_<name>" (github_issues, jira_histories, ...)."""
    return {
        f"{kind}_{name}": count
        for kind, model in org.models.items()
        for name, count in trackers.module(kind).item_counts(model).items()
    }


Floors = Callable[[ModuleType, Any, Mount], dict[str, int]]  # (tracker's bench module, model, mount)


def _per_tracker(org: Org, floors: Floors, mounts: Mapping[str, Mount]) -> dict[str, int]:
    found: dict[str, int] = {}
    for kind, model in org.models.items():
        for name, count in floors(trackers.module(kind), model, mounts[f"/{kind}"]).items():
            found[f"{kind} {name}"] = count
    return found
