"""`trackerlake.yaml`: the one config file, validated before any network call.

Every problem becomes a `ConfigError` whose message is one line naming the file and the key, so
the CLI can print it and exit 2. Secrets never appear here: the config names env vars only.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlparse

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

DEFAULT_CONFIG = Path("trackerlake.yaml")
NAME = re.compile(r"^[a-z0-9_-]+$")
REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
PROJECT_KEY = re.compile(r"^[A-Z][A-Z0-9_]+$")


class ConfigError(ValueError):
    """Bad config: the message is one line naming the file and the key."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_url(value: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(f"not an http(s) URL: {value!r}")
    return value.rstrip("/")


class SourceBase(Strict):
    name: str
    base_url: str
    token_env: str
    timeout_seconds: float = 60.0
    max_retries: int = Field(5, ge=0, le=20)
    max_wait_seconds: float = 900.0
    secondary_wait_seconds: float = Field(60.0, ge=0)  # floor for a secondary limit without Retry-After
    overlap_minutes: float = Field(10.0, ge=0)
    census_days: float = Field(7.0, gt=0)  # how often to list every id and mark the missing deleted
    # Repos or projects fetched at once, each by one thread with one request in flight: well within
    # GitHub's secondary limit (100 concurrent requests) and Jira Cloud's per-user limits.
    concurrency: int = Field(4, ge=1, le=32)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME.match(value):
            raise ValueError(f"{value!r} must match [a-z0-9_-]+")
        return value

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _check_url(value)


class GitHubSource(SourceBase):
    type: Literal["github"]
    base_url: str = "https://api.github.com"
    repos: list[str] = Field(min_length=1)
    per_page: int = Field(100, ge=1, le=100)

    @field_validator("repos")
    @classmethod
    def _repos(cls, value: list[str]) -> list[str]:
        for repo in value:
            if not REPO.match(repo):
                raise ValueError(f"{repo!r} is not owner/name")
        return value


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
            if not PROJECT_KEY.match(key):
                raise ValueError(f"{key!r} is not a Jira project key")
        return value

    @model_validator(mode="after")
    def _cloud_email(self) -> JiraSource:
        if self.deployment == "cloud" and not self.email_env:
            raise ValueError("email_env is required for deployment: cloud")
        return self


Source = Annotated[GitHubSource | JiraSource, Field(discriminator="type")]


class Mapping(Strict):
    bug_types: list[str] = ["Bug", "Defect"]
    bug_labels: list[str] = ["bug", "defect", "regression"]
    customer_labels: list[str] = ["customer", "customer-reported", "support"]
    in_progress_labels: list[str] = ["in progress", "in-progress", "doing"]
    status_categories: dict[str, Literal["todo", "in_progress", "done"]] = {}
    not_planned_resolutions: list[str] = [
        "Won't Do",
        "Won't Fix",
        "Cannot Reproduce",
        "Declined",
        "Rejected",
        "Invalid",
        "Obsolete",
    ]
    duplicate_resolutions: list[str] = ["Duplicate"]


class Outcomes(Strict):
    post_release_window_days: int = Field(30, ge=1)
    customer_open_days: int = Field(14, ge=0)


class Forecast(Strict):
    trials: int = Field(2000, ge=100)
    window_weeks: int = Field(8, ge=1)
    seed: int = 42


class Scope(Strict):
    baseline_grace_days: float = Field(1.0, ge=0)


class Schedule(Strict):
    cron: str = "0 2 * * *"
    timezone: str = "UTC"

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        if len(value.split()) != 5:
            raise ValueError(f"{value!r} is not a 5-field cron expression")
        return value


class Config(Strict):
    warehouse: Path = Path("data/trackerlake.duckdb")
    work_dir: Path | None = None
    sources: list[Source] = Field(min_length=1)
    mapping: Mapping = Mapping()
    outcomes: Outcomes = Outcomes()
    forecast: Forecast = Forecast()
    scope: Scope = Scope()
    schedule: Schedule = Schedule()
    as_of: datetime | None = None

    @model_validator(mode="after")
    def _unique_names(self) -> Config:
        names = [s.name for s in self.sources]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate source name {dupes[0]!r}")
        return self

    @property
    def work_database(self) -> Path:
        """The pipeline's own database: raw data, cursors and models before publishing."""
        base = self.work_dir or self.warehouse.parent / ".trackerlake"
        return base / f"{self.warehouse.stem}.work.duckdb"

    def source(self, name: str) -> GitHubSource | JiraSource:
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(name)


def resolve_path(explicit: str | Path | None = None) -> Path:
    """`--config`, else $TRACKERLAKE_CONFIG, else ./trackerlake.yaml."""
    return Path(explicit or os.environ.get("TRACKERLAKE_CONFIG") or DEFAULT_CONFIG)


def load(path: str | Path | None = None, *, check_env: bool = True) -> Config:
    """Read and validate the config; relative paths in it are relative to the file."""
    path = resolve_path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}:{where} not valid YAML") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    config = parse(raw, path)
    if check_env:
        check_secrets(config, path)
    return config


def parse(raw: dict[str, Any], path: Path | str = "<config>") -> Config:
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_describe(exc, raw)}") from None
    base = Path(path).parent
    updates: dict[str, Any] = {}
    if not config.warehouse.is_absolute():
        updates["warehouse"] = base / config.warehouse
    if config.work_dir is not None and not config.work_dir.is_absolute():
        updates["work_dir"] = base / config.work_dir
    if config.as_of is not None and config.as_of.tzinfo is None:
        updates["as_of"] = config.as_of.replace(tzinfo=UTC)
    return config.model_copy(update=updates) if updates else config


def check_secrets(config: Config, path: Path | str = "<config>") -> None:
    """Every env var the config names must be set and non-empty."""
    for index, source in enumerate(config.sources):
        names = [("token_env", source.token_env)]
        if isinstance(source, JiraSource) and source.email_env:
            names.append(("email_env", source.email_env))
        for key, env in names:
            if not os.environ.get(env):
                raise ConfigError(f"{path}: sources[{index}].{key}: environment variable {env} is not set")


def _describe(exc: ValidationError, raw: dict[str, Any]) -> str:
    """The first error as `key.path: reason`, with list indices named like `sources[1]`."""
    error = exc.errors()[0]
    loc: list[str] = []
    for part in error["loc"]:
        if isinstance(part, int):
            loc[-1] = f"{loc[-1]}[{part}]" if loc else f"[{part}]"
        elif part in ("github", "jira") and loc and loc[-1].startswith("sources["):
            continue  # pydantic's discriminator tag, not a key the user wrote
        else:
            loc.append(str(part))
    key = ".".join(loc) or "(top level)"
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"{key}: unknown key"
    if kind == "missing":
        return f"{key}: required key is missing"
    if kind == "union_tag_invalid":
        return f"{key}.type: must be one of github, jira"
    message = error["msg"].removeprefix("Value error, ")
    return f"{key}: {message}"
