"""Tracker connectors: HTTP and tracker knowledge only (no Dagster, no DuckDB).

`TRACKERS` maps a config `type` to its registration (connectors/tracker.py), in the order of
`PACKAGES`: a new tracker is its folder `connectors/<type>/`, exporting `TRACKER`, and one line in
`PACKAGES`. `CONNECTORS` is the same map to the connector classes alone.
"""

from importlib import import_module

from connectors.base import Connector
from connectors.tracker import Tracker

# One line per tracker: the package that exports its TRACKER.
PACKAGES = (
    "connectors.github",
    "connectors.jira",
    "connectors.gitlab",
)

TRACKERS: dict[str, Tracker] = {
    tracker.type: tracker for tracker in (import_module(p).TRACKER for p in PACKAGES)
}
CONNECTORS: dict[str, type[Connector]] = {kind: tracker.connector for kind, tracker in TRACKERS.items()}
