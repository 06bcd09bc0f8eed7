"""Tracker connectors: HTTP and tracker knowledge only (no Dagster, no DuckDB).

`CONNECTORS` maps a config `type` to its connector class; add new trackers here.
"""

from connectors.base import Connector
from connectors.github import GitHubConnector
from connectors.jira import JiraConnector

CONNECTORS: dict[str, type[Connector]] = {
    GitHubConnector.source_type: GitHubConnector,
    JiraConnector.source_type: JiraConnector,
}
