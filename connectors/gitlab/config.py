"""A GitLab source in trackerlake.yaml: `projects` (full paths), gitlab.com or self-managed, `per_page`.

`base_url` is the API root: `https://gitlab.com/api/v4` by default, `https://HOST/api/v4` for a
self-managed instance. Groups are not listed: a project's group milestones (its ancestors') come
with its own milestones (`include_ancestors`), and iterations are read from the group a project
path names (`group/sub/project` → `group/sub`, whose iteration list includes its ancestors').
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from connectors.source_config import SourceBase, count, listed_once

# GitLab's path rules: letters, digits, `_`, `-`, `.` (not starting with `-` or `.`, not ending in
# `.git` or `.atom`); a project sits in a group, which may nest (`group/sub/project`).
SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}")
RESERVED_ENDINGS = (".git", ".atom")


class GitLabSource(SourceBase):
    type: Literal["gitlab"]
    base_url: str = "https://gitlab.com/api/v4"
    projects: list[str] = Field(min_length=1)
    per_page: int = count(100, low=1, high=100)

    @field_validator("projects")
    @classmethod
    def _projects(cls, value: list[str]) -> list[str]:
        for path in value:
            segments = path.split("/")
            if len(segments) < 2 or not all(
                SEGMENT.fullmatch(part) and not part.endswith(RESERVED_ENDINGS) for part in segments
            ):
                raise ValueError(f"{path!r} is not a project path like group/project or group/sub/project")
        return listed_once(value)


def project_group(project: str) -> str:
    """The group a project path names: `group/sub/project` → `group/sub`."""
    return project.rpartition("/")[0]
