"""GitHub REST: issues, events, milestones and pull requests of each configured repo."""

from connectors.github.connector import GitHubConnector

__all__ = ["GitHubConnector"]
