"""`trackerlake.yaml`: the one config file, validated before any network call.

Every problem becomes a `ConfigError` whose message is one line naming the file and the key, so
the CLI can print it and exit 2. Secrets never appear here: the config names env vars only.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipelines import cron

DEFAULT_CONFIG = Path("trackerlake.yaml")
# Patterns are matched whole (fullmatch): `$` would also accept a trailing newline.
NAME = re.compile(r"[a-z0-9_-]+")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# GitHub's rules: an owner is a login (letters, digits, hyphens, `_` for managed users; 39 at most,
# not starting with a hyphen); a repository name is letters, digits, `.`, `-`, `_` (100 at most).
OWNER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,38}")
REPO_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")
PROJECT_KEY = re.compile(r"[A-Z][A-Z0-9_]+")
FIELD_ID = re.compile(r"[A-Za-z0-9_]+")  # customfield_10016, duedate: joined into a `fields=` list
# Unicode categories refused in every string: controls (a newline, an escape), lone surrogates,
# and the line and paragraph separators that split a line like a newline does.
UNPRINTABLE = {"Cc", "Cs", "Zl", "Zp"}


class ConfigError(ValueError):
    """Bad config: the message is one line naming the file and the key."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _number(default: float, *, low: float, high: float, zero: bool = False) -> Any:
    """A finite float from `low` (excluded unless `zero`) to `high`; a boolean is not a number.

    The upper bounds keep every value inside what a socket timeout or a timedelta can hold.
    """
    bound = {"ge": low} if zero else {"gt": low}
    return Field(default, strict=True, allow_inf_nan=False, le=high, **bound)


def _count(default: int, *, low: int, high: int) -> Any:
    """An int from `low` to `high`; `true` and `4.0` are refused, not read as 1 and 4."""
    return Field(default, strict=True, ge=low, le=high)


HOUR, DAY = 3600.0, 86400.0  # seconds
MINUTES_PER_WEEK = 7 * 24 * 60.0
TEN_YEARS = 3650  # days


def _check_url(value: str) -> str:
    """An http(s) base URL, with nothing a credential or a later path could hide in.

    Never echoed: a URL holding `user:password@` would print the password.
    """
    parsed = urlsplit(value)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ValueError("not an http(s) URL")
    if "@" in parsed.netloc:
        raise ValueError("must not hold a user name or password (credentials come from token_env)")
    if "?" in value or "#" in value:
        raise ValueError("must not have a query or fragment")
    if any(char.isspace() for char in value):
        raise ValueError("must not contain spaces")
    try:
        _ = parsed.port  # raises for a port that is not a number from 0 to 65535
    except ValueError:
        raise ValueError("has an invalid port") from None
    return value.rstrip("/")


def _check_env_name(value: str | None) -> str | None:
    if value is not None and not ENV_NAME.fullmatch(value):
        raise ValueError(f"{value!r} is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)")
    return value


class SourceBase(Strict):
    name: str
    base_url: str
    token_env: str
    timeout_seconds: float = _number(60.0, low=0, high=HOUR)
    max_retries: int = _count(5, low=0, high=20)
    max_wait_seconds: float = _number(900.0, low=0, high=DAY, zero=True)
    # floor for a secondary limit without Retry-After
    secondary_wait_seconds: float = _number(60.0, low=0, high=DAY, zero=True)
    overlap_minutes: float = _number(10.0, low=0, high=MINUTES_PER_WEEK, zero=True)
    # how often to list every id and mark the missing deleted
    census_days: float = _number(7.0, low=0, high=TEN_YEARS)
    # Repos or projects fetched at once, each by one thread with one request in flight: well within
    # GitHub's secondary limit (100 concurrent requests) and Jira Cloud's per-user limits.
    concurrency: int = _count(4, low=1, high=32)
    # A response body larger than this fails the source instead of filling the memory.
    max_response_mb: float = _number(100.0, low=0, high=4096)
    # The source's whole sync, all its requests and waits, fails once it has run this long.
    deadline_minutes: float = _number(180.0, low=0, high=MINUTES_PER_WEEK)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME.fullmatch(value):
            raise ValueError(f"{value!r} must match [a-z0-9_-]+")
        return value

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _check_url(value)

    @field_validator("token_env")
    @classmethod
    def _token_env(cls, value: str) -> str:
        return _check_env_name(value)


class GitHubSource(SourceBase):
    type: Literal["github"]
    base_url: str = "https://api.github.com"
    repos: list[str] = Field(min_length=1)
    per_page: int = _count(100, low=1, high=100)

    @field_validator("repos")
    @classmethod
    def _repos(cls, value: list[str]) -> list[str]:
        for repo in value:
            owner, _, name = repo.partition("/")
            # `.` and `..` match the characters but are path steps: `../..` leaves /repos/.
            if not (OWNER.fullmatch(owner) and REPO_NAME.fullmatch(name)) or name in (".", ".."):
                raise ValueError(f"{repo!r} is not owner/name")
        return _once(value)


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
        return _once(value)

    @field_validator("email_env")
    @classmethod
    def _email_env(cls, value: str | None) -> str | None:
        return _check_env_name(value)

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


Source = Annotated[GitHubSource | JiraSource, Field(discriminator="type")]


def _once(values: list[str]) -> list[str]:
    """Each repo or project once: two threads would sync the same one side by side."""
    repeated = sorted({value for value in values if values.count(value) > 1})
    if repeated:
        raise ValueError(f"{repeated[0]!r} is listed twice")
    return values


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
    post_release_window_days: int = _count(30, low=1, high=TEN_YEARS)
    customer_open_days: int = _count(14, low=0, high=TEN_YEARS)


class Forecast(Strict):
    trials: int = _count(2000, low=100, high=100_000)
    window_weeks: int = _count(8, low=1, high=520)
    seed: int = _count(42, low=0, high=2**63 - 1)  # numpy refuses a negative seed


class Scope(Strict):
    baseline_grace_days: float = _number(1.0, low=0, high=TEN_YEARS, zero=True)


class Schedule(Strict):
    # Dagster runs the nightly schedule as soon as it loads the code location, unless disabled.
    enabled: bool = Field(True, strict=True)
    cron: str = "0 2 * * *"
    timezone: str = "UTC"

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        try:
            cron.check(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} {exc}") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(f"{value!r} is not an IANA time zone (like UTC or Europe/Paris)") from None
        return value


class Publish(Strict):
    """What the published file holds: marts and ops (what BI tools read), and any schema listed in
    `include`. The working database keeps every schema either way."""

    include: list[Literal["raw", "staging", "intermediate"]] = []

    @field_validator("include")
    @classmethod
    def _include(cls, value: list[str]) -> list[str]:
        return _once(value)

    @property
    def schemas(self) -> tuple[str, ...]:
        return ("marts", "ops", *self.include)


class Config(Strict):
    warehouse: Path = Path("data/trackerlake.duckdb")
    work_dir: Path | None = None
    sources: list[Source] = Field(min_length=1)
    mapping: Mapping = Mapping()
    outcomes: Outcomes = Outcomes()
    forecast: Forecast = Forecast()
    scope: Scope = Scope()
    schedule: Schedule = Schedule()
    publish: Publish = Publish()
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


class DuplicateKey(yaml.YAMLError):
    def __init__(self, key: object, mark: yaml.Mark) -> None:
        super().__init__(f"duplicate key {key!r}")
        self.key, self.mark = key, mark


class UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a key given twice in one mapping is an error.

    Plain YAML keeps the last value silently: a second `repos:` further down would replace the
    first list without a word.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *defaults` merges keys that the mapping may then override
            key = self.construct_object(key_node, deep=deep)
            try:
                repeated = key in seen
            except TypeError:
                continue  # an unhashable key: the base class says so
            if repeated:
                raise DuplicateKey(key, key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load(path: str | Path | None = None, *, check_env: bool = True) -> Config:
    """Read and validate the config; relative paths in it are relative to the file."""
    path = resolve_path(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=UniqueKeyLoader)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except DuplicateKey as exc:
        raise ConfigError(f"{path}: line {exc.mark.line + 1}: duplicate key {exc.key!r}") from None
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
    for key, text in _strings(raw):
        bad = next((char for char in text if unicodedata.category(char) in UNPRINTABLE), None)
        if bad is not None:
            raise ConfigError(f"{path}: {key}: contains the control character U+{ord(bad):04X}")
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_describe(exc, raw)}") from None
    # Absolute, so the run does not depend on its working directory, and DuckDB never reads a
    # relative name like `md:x` as a remote database.
    base = Path(path).parent.absolute()
    updates: dict[str, Any] = {}
    if not config.warehouse.is_absolute():
        updates["warehouse"] = base / config.warehouse
    if config.work_dir is not None and not config.work_dir.is_absolute():
        updates["work_dir"] = base / config.work_dir
    if config.as_of is not None and config.as_of.tzinfo is None:
        updates["as_of"] = config.as_of.replace(tzinfo=UTC)
    config = config.model_copy(update=updates) if updates else config
    if config.warehouse.is_dir():
        raise ConfigError(f"{path}: warehouse: {config.warehouse} is a directory, not a DuckDB file")
    work_key = "work_dir" if config.work_dir is not None else "warehouse"
    for key, target in (("warehouse", config.warehouse), (work_key, config.work_database)):
        blocker = _file_in_the_way(target)
        if blocker is not None:
            raise ConfigError(f"{path}: {key}: {blocker} is a file, not a directory")
    return config


def _file_in_the_way(path: Path) -> Path | None:
    """The file standing where one of `path`'s directories must be (created at the first run)."""
    for parent in path.parents:
        if parent.exists():
            return None if parent.is_dir() else parent
    return None


def _strings(node: object, key: str = "") -> Iterator[tuple[str, str]]:
    """Every string in the raw config, keys included, with its key path as errors name it."""
    if isinstance(node, str):
        yield key or "(top level)", node
    elif isinstance(node, dict):
        for name, value in node.items():
            yield from _strings(name, key)  # a bad key is named by the mapping that holds it
            yield from _strings(value, f"{key}.{name}" if key else str(name))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, f"{key}[{index}]")


def check_secrets(config: Config, path: Path | str = "<config>") -> None:
    """Every env var the config names must be set, non-empty, and fit in a request header."""
    for index, source in enumerate(config.sources):
        source_secrets(source, f"{path}: sources[{index}].")


def source_secrets(source: GitHubSource | JiraSource, where: str | None = None) -> dict[str, str]:
    """The source's credentials from the environment: `token`, and `email` when it names one.

    A header carries printable ASCII only: a non-ASCII or control character (a newline pasted with
    the token) would fail every request of the source, so it is a ConfigError here, whose message
    (after `where`, by default the source's name) names the variable, never its value.
    """
    where = f"source {source.name}: " if where is None else where
    names = [("token", "token_env", source.token_env)]
    if isinstance(source, JiraSource) and source.email_env:
        names.append(("email", "email_env", source.email_env))
    secrets: dict[str, str] = {}
    for role, key, env in names:
        value = os.environ.get(env)
        problem = f"{where}{key}: environment variable {env}"
        if not value:
            raise ConfigError(f"{problem} is not set")
        if not all("!" <= char <= "~" for char in value):
            raise ConfigError(
                f"{problem} holds a space, control or non-ASCII character (a header takes printable ASCII)"
            )
        secrets[role] = value
    return secrets


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
