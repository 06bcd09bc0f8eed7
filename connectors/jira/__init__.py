"""Jira Cloud and Data Center: issues with changelogs, versions, sprints and field discovery."""

from connectors.jira.connector import JiraConnector

__all__ = ["JiraConnector"]
