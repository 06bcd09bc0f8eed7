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
from typing import Annotated, Any, Literal, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import AfterValidator, Field, ValidationError, field_validator, model_validator

from connectors import TRACKERS
from connectors.source_config import TEN_YEARS, SourceBase, Strict, check_env_name, count, listed_once, number
from pipelines import cron

DEFAULT_CONFIG = Path("trackerlake.yaml")
# Unicode categories refused in every string: controls (a newline, an escape), lone surrogates,
# and the line and paragraph separators that split a line like a newline does.
UNPRINTABLE = {"Cc", "Cs", "Zl", "Zp"}
EXECUTOR = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*")


class ConfigError(ValueError):
    """Bad config: the message is one line naming the file and the key."""


# One `sources:` entry: the registered tracker its `type` names, each tracker's model by its tag.
Source = Annotated[Union[tuple(tracker.source for tracker in TRACKERS.values())], Field(discriminator="type")]  # noqa: UP007


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
    post_release_window_days: int = count(30, low=1, high=TEN_YEARS)
    customer_open_days: int = count(14, low=0, high=TEN_YEARS)


class Forecast(Strict):
    trials: int = count(2000, low=100, high=100_000)
    window_weeks: int = count(8, low=1, high=520)
    seed: int = count(42, low=0, high=2**63 - 1)  # numpy refuses a negative seed


class Scope(Strict):
    baseline_grace_days: float = number(1.0, low=0, high=TEN_YEARS, zero=True)


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


class Run(Strict):
    """How a run executes its steps (pipelines/definitions.py): 1 runs them one after another in
    the run's own process; more runs that many at once, each in a process of its own (Dagster's
    multiprocess executor), so the sources' syncs overlap, each into its own landing."""

    max_processes: int = count(1, low=1, high=256)
    # A Dagster executor by `module:name` (dagster_k8s:k8s_job_executor, say), in place of the
    # two above; its settings come from the run's config (`execution: config:`).
    executor: str | None = None

    @field_validator("executor")
    @classmethod
    def _executor(cls, value: str | None) -> str | None:
        if value is not None and not EXECUTOR.fullmatch(value):
            raise ValueError("not module:name of a Dagster executor, e.g. dagster_k8s:k8s_job_executor")
        return value


class Publish(Strict):
    """What the published file holds: marts and ops (what BI tools read), and any schema listed in
    `include`. The working database keeps every schema either way."""

    include: list[Literal["raw", "staging", "intermediate"]] = []

    @field_validator("include")
    @classmethod
    def _include(cls, value: list[str]) -> list[str]:
        return listed_once(value)

    @property
    def schemas(self) -> tuple[str, ...]:
        return ("marts", "ops", *self.include)


EnvName = Annotated[str, AfterValidator(check_env_name)]


class LakeS3(Strict):
    """S3 (or an S3-compatible server) holding a lake whose data_path is `s3://bucket/prefix/`. The
    credentials are only named, like the catalog's connection string."""

    key_id_env: EnvName
    secret_env: EnvName
    region: str = "us-east-1"
    endpoint: str | None = None  # host[:port] of an S3-compatible server; unset: AWS's own
    url_style: Literal["vhost", "path"] = "vhost"
    use_ssl: bool = Field(True, strict=True)

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9-]{1,64}", value):
            raise ValueError(f"{value!r} is not a region name (like us-east-1)")
        return value

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?", value):
            raise ValueError(f"{value!r} is not host[:port] (no scheme: use_ssl says http or https)")
        return value


class Lakehouse(Strict):
    """A DuckLake catalog the sources land in and the marts are published to (pipelines/lakehouse.py,
    docs/scaling.md). `none` keeps everything in DuckDB files; the connection string is only named."""

    catalog: Literal["none", "duckdb", "postgres"] = "none"
    dsn_env: EnvName | None = None
    path: Path | None = None
    data_path: str | None = None
    s3: LakeS3 | None = None

    @model_validator(mode="after")
    def _postgres_dsn(self) -> Lakehouse:
        if self.catalog == "postgres" and self.dsn_env is None:
            raise ValueError(
                "catalog postgres needs dsn_env, the environment variable holding its connection string"
            )
        return self

    @model_validator(mode="after")
    def _object_storage(self) -> Lakehouse:
        on_s3 = (self.data_path or "").startswith("s3://")
        if on_s3 and not re.fullmatch(r"s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/\S*)?", self.data_path or ""):
            raise ValueError(
                f"data_path {self.data_path!r} is not s3://bucket/prefix/ (a bucket: 3-63 of a-z 0-9 . -)"
            )
        if on_s3 and self.s3 is None:
            raise ValueError("data_path on s3:// needs s3, its credentials' environment variables")
        if self.s3 is not None and not on_s3:
            raise ValueError("s3 is set but data_path is not on s3://")
        return self


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
    run: Run = Run()
    lakehouse: Lakehouse = Lakehouse()
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

    @property
    def landing_directory(self) -> Path:
        """Where each source's sync lands, a DuckDB file per source (pipelines/landing.py), beside
        the working database."""
        return self.work_database.with_name(f"{self.warehouse.stem}.landing")

    def source(self, name: str) -> SourceBase:
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
    lake = config.lakehouse
    if lake.path is not None and not lake.path.is_absolute():
        updates["lakehouse"] = lake = lake.model_copy(update={"path": base / lake.path})
    if lake.data_path is not None and "://" not in lake.data_path and not Path(lake.data_path).is_absolute():
        updates["lakehouse"] = lake.model_copy(update={"data_path": str(base / lake.data_path)})
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


def source_secrets(source: SourceBase, where: str | None = None) -> dict[str, str]:
    """The source's credentials from the environment, by role: `token` from `token_env`, `email`
    from `email_env`, each of its tracker's `secret_fields` that the source sets.

    A header carries printable ASCII only: a non-ASCII or control character (a newline pasted with
    the token) would fail every request of the source, so it is a ConfigError here, whose message
    (after `where`, by default the source's name) names the variable, never its value.
    """
    where = f"source {source.name}: " if where is None else where
    names = [
        (key.removesuffix("_env"), key, env)
        for key in TRACKERS[source.type].secret_fields
        if (env := getattr(source, key)) is not None
    ]
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
        elif part in TRACKERS and loc and loc[-1].startswith("sources["):
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
        return f"{key}.type: must be one of {', '.join(sorted(TRACKERS))}"
    message = error["msg"].removeprefix("Value error, ")
    return f"{key}: {message}"
