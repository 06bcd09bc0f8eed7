"""A Jira source in trackerlake.yaml: `projects` (keys), Cloud or Data Center, custom field ids."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from connectors.source_config import SourceBase, check_env_name, listed_once

PROJECT_KEY = re.compile(r"[A-Z][A-Z0-9_]+")
FIELD_ID = re.compile(r"[A-Za-z0-9_]+")  # customfield_10016, duedate: joined into a `fields=` list


class JiraSource(SourceBase):
    type: Literal["jira"]
    deployment: Literal["cloud", "datacenter"] = "cloud"
    email_env: str | None = None
    projects: list[str] = Field(min_length=1)
    milestones: list[Literal["versions", "sprints"]] = ["versions", "sprints"]
    fields: dict[Literal["story_points", "sprint", "epic_link", "start_date"], str] = {}

    @field_validator("projects")
    @classmethod
    def _projects(cls, value: list[str]) -> list[str]:
        for key in value:
            if not PROJECT_KEY.fullmatch(key):
                raise ValueError(f"{key!r} is not a Jira project key")
        return listed_once(value)

    @field_validator("email_env")
    @classmethod
    def _email_env(cls, value: str | None) -> str | None:
        return check_env_name(value)

    @field_validator("fields")
    @classmethod
    def _fields(cls, value: dict[str, str]) -> dict[str, str]:
        for field_id in value.values():
            if not FIELD_ID.fullmatch(field_id):
                raise ValueError(f"{field_id!r} is not a Jira field id (like customfield_10016)")
        return value

    @model_validator(mode="after")
    def _cloud_email(self) -> JiraSource:
        if self.deployment == "cloud" and not self.email_env:
            raise ValueError("email_env is required for deployment: cloud")
        return self
