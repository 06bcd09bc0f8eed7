"""A GitHub source in trackerlake.yaml: `repos` (owner/name), and `per_page`."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from connectors.source_config import SourceBase, count, listed_once

# GitHub's rules: an owner is a login (letters, digits, hyphens, `_` for managed users; 39 at most,
# not starting with a hyphen); a repository name is letters, digits, `.`, `-`, `_` (100 at most).
OWNER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,38}")
REPO_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")


class GitHubSource(SourceBase):
    type: Literal["github"]
    base_url: str = "https://api.github.com"
    repos: list[str] = Field(min_length=1)
    per_page: int = count(100, low=1, high=100)

    @field_validator("repos")
    @classmethod
    def _repos(cls, value: list[str]) -> list[str]:
        for repo in value:
            owner, _, name = repo.partition("/")
            # `.` and `..` match the characters but are path steps: `../..` leaves /repos/.
            if not (OWNER.fullmatch(owner) and REPO_NAME.fullmatch(name)) or name in (".", ".."):
                raise ValueError(f"{repo!r} is not owner/name")
        return listed_once(value)
