"""GitHub REST: issues, events, milestones and pull requests of each configured repo."""

from connectors.github.config import GitHubSource
from connectors.github.connector import GitHubConnector
from connectors.tracker import Tracker

TRACKER = Tracker(
    type="github",
    connector=GitHubConnector,
    source=GitHubSource,
    scope_key="repos",
    secret_fields=("token_env",),
    milestone_kinds=("github_milestone",),
    emulator="emulators.github",
)

__all__ = ["TRACKER", "GitHubConnector", "GitHubSource"]
