"""Which scope and stream an emulator request served: the unit the request targets are counted in.

A key is "<tracker> <scope> <stream>", e.g. "github acme/web issues", "jira PAY issues",
"jira board:3 sprints", "jira site fields", "gitlab acme/web resource_state_events". Stream names
are the connectors' own; each tracker names its scopes and streams from the request's path under
its mount (`classify` of its bench module, bench/trackers.py).
"""

from __future__ import annotations

from typing import Any

from bench import trackers
from emulators.org import Org


def key(tracker: str, scope: str, stream: str) -> str:
    return f"{tracker} {scope} {stream}"


def classify(entry: dict[str, Any], org: Org) -> str | None:
    """The key of one `EmulatorServer.request_log` entry; None for what is not a tracker request."""
    kind, _, rest = entry["path"].removeprefix("/").partition("/")
    if kind not in org.models:
        return None
    found = trackers.module(kind).classify(f"/{rest}", entry["query"], org.models[kind])
    return None if found is None else f"{kind} {found}"
