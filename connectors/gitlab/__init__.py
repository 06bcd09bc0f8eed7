"""GitLab REST v4 (gitlab.com and self-managed): issues with resource events, project and group
milestones, iterations and merge requests of each configured project."""

from connectors.gitlab.config import GitLabSource
from connectors.gitlab.connector import GitLabConnector
from connectors.tracker import Tracker

TRACKER = Tracker(
    type="gitlab",
    connector=GitLabConnector,
    source=GitLabSource,
    scope_key="projects",
    secret_fields=("token_env",),
    milestone_kinds=("gitlab_milestone", "gitlab_group_milestone", "gitlab_iteration"),
    emulator="emulators.gitlab",
)

__all__ = ["TRACKER", "GitLabConnector", "GitLabSource"]
