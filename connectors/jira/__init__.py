"""Jira Cloud and Data Center: issues with changelogs, versions, sprints and field discovery."""

from connectors.jira.config import JiraSource
from connectors.jira.connector import JiraConnector
from connectors.tracker import Tracker

TRACKER = Tracker(
    type="jira",
    connector=JiraConnector,
    source=JiraSource,
    scope_key="projects",
    secret_fields=("token_env", "email_env"),
    milestone_kinds=("jira_version", "jira_sprint"),
    emulator="emulators.jira",
)

__all__ = ["TRACKER", "JiraConnector", "JiraSource"]
