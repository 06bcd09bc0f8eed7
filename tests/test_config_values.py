"""check-config refuses every value the run would fail on later, in one line naming the key.

Each refused value below passed check-config before and then broke the run: a newline in a name,
a repo `../..` (the request left /repos/ with the token attached), a second `repos:` silently
replacing the first, a cron Dagster refuses when it loads the schedule, `.inf` or `true` as a
number, a warehouse that is a directory, a password in base_url.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml
from dagster._utils.schedules import is_valid_cron_string

from connectors import TRACKERS
from pipelines import config as config_module
from pipelines import cron
from tests.pipeline.installed_cli import empty_dir, trackerlake
from tests.test_config import GOOD, mutate, write

ENV = {"TL_TEST_GH": "ghp_x", "TL_TEST_EMAIL": "me@example.com", "TL_TEST_JIRA": "jira-token"}


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)


def refusal(tmp_path: Path, data: object) -> str:
    """The one-line error check-config gives for `data`, checked to name the file."""
    path = write(tmp_path, data)
    with pytest.raises(config_module.ConfigError) as error:
        config_module.load(path)
    text = str(error.value)
    assert text.startswith(f"{path}: ") and "\n" not in text
    return text.removeprefix(f"{path}: ")


# Control characters, in any string: keys, names, env var names, repos, URLs, labels, paths.
CONTROL = [
    ("sources.0.name", "web\n", "sources[0].name: contains the control character U+000A"),
    (
        "sources.0.token_env",
        "TL_TEST_GH\n",
        "sources[0].token_env: contains the control character U+000A",
    ),
    (
        "sources.0.repos",
        ["acme/web", "acme/api\r"],
        "sources[0].repos[1]: contains the control character U+000D",
    ),
    ("sources.1.projects", ["PAY\n"], "sources[1].projects[0]: contains the control character U+000A"),
    ("sources.1.base_url", "https://acme.atlassian.net\n", "sources[1].base_url: contains the control"),
    (
        "mapping",
        {"bug_labels": ["bug\x1b[31m"]},
        "mapping.bug_labels[0]: contains the control character U+001B",
    ),
    (
        "mapping",
        {"status_categories": {"QA\u2028": "done"}},
        "mapping.status_categories: contains the control character U+2028",
    ),
    ("warehouse", "data/w\x00.duckdb", "warehouse: contains the control character U+0000"),
]

# Names, keys and ids that reach URLs, JQL or headers.
SYNTAX = [
    ("sources.0.repos", ["acme/web", "acme/web"], "sources[0].repos: 'acme/web' is listed twice"),
    ("sources.1.projects", ["PAY", "PAY"], "sources[1].projects: 'PAY' is listed twice"),
    ("sources.1.projects", ["PAY-1"], "sources[1].projects: 'PAY-1' is not a Jira project key"),
    (
        "sources.1.fields",
        {"story_points": "customfield_1,summary"},
        "sources[1].fields: 'customfield_1,summary' is not a Jira field id",
    ),
    (
        "sources.0.token_env",
        "GH TOKEN",
        "sources[0].token_env: 'GH TOKEN' is not an environment variable name",
    ),
    ("sources.1.email_env", "", "sources[1].email_env: '' is not an environment variable name"),
]

# Finite, in range, and never a boolean read as 1 or 0.
NUMBERS = [
    ("sources.0.timeout_seconds", -5, "sources[0].timeout_seconds: Input should be greater than 0"),
    ("sources.0.timeout_seconds", 0, "sources[0].timeout_seconds: Input should be greater than 0"),
    (
        "sources.0.timeout_seconds",
        math.inf,
        "sources[0].timeout_seconds: Input should be a finite number",
    ),
    (
        "sources.0.timeout_seconds",
        1e300,
        "sources[0].timeout_seconds: Input should be less than or equal to 3600",
    ),
    ("sources.0.timeout_seconds", True, "sources[0].timeout_seconds: Input should be a valid number"),
    (
        "sources.1.max_wait_seconds",
        math.nan,
        "sources[1].max_wait_seconds: Input should be a finite number",
    ),
    (
        "sources.1.overlap_minutes",
        -1,
        "sources[1].overlap_minutes: Input should be greater than or equal to 0",
    ),
    ("sources.0.census_days", 0, "sources[0].census_days: Input should be greater than 0"),
    ("sources.0.concurrency", True, "sources[0].concurrency: Input should be a valid integer"),
    ("sources.0.concurrency", 4.5, "sources[0].concurrency: Input should be a valid integer"),
    ("sources.0.max_retries", False, "sources[0].max_retries: Input should be a valid integer"),
    ("sources.0.max_response_mb", 0, "sources[0].max_response_mb: Input should be greater than 0"),
    (
        "sources.1.max_response_mb",
        -math.inf,
        "sources[1].max_response_mb: Input should be a finite number",
    ),
    ("sources.0.deadline_minutes", -30, "sources[0].deadline_minutes: Input should be greater than 0"),
    (
        "sources.1.deadline_minutes",
        math.nan,
        "sources[1].deadline_minutes: Input should be a finite number",
    ),
    ("forecast", {"seed": -1}, "forecast.seed: Input should be greater than or equal to 0"),
    ("forecast", {"trials": 10**12}, "forecast.trials: Input should be less than or equal to 100000"),
    (
        "outcomes",
        {"customer_open_days": True},
        "outcomes.customer_open_days: Input should be a valid integer",
    ),
    (
        "scope",
        {"baseline_grace_days": math.inf},
        "scope.baseline_grace_days: Input should be a finite number",
    ),
]

# A schedule Dagster's code location loads.
SCHEDULE = [
    (
        "schedule",
        {"cron": "99 99 * * *"},
        "schedule.cron: '99 99 * * *' is not a valid cron expression: minute '99' is not within 0-59",
    ),
    ("schedule", {"cron": "0 0 31 2 *"}, "schedule.cron: '0 0 31 2 *' is not a valid cron expression"),
    (
        "schedule",
        {"cron": "0 2 * * mon-xyz"},
        "schedule.cron: '0 2 * * mon-xyz' is not a valid cron expression",
    ),
    ("schedule", {"timezone": "Mars/Olympus"}, "schedule.timezone: 'Mars/Olympus' is not an IANA time zone"),
    (
        "schedule",
        {"timezone": "../../etc/passwd"},
        "schedule.timezone: '../../etc/passwd' is not an IANA time zone",
    ),
    ("schedule", {"timezone": "America"}, "schedule.timezone: 'America' is not an IANA time zone"),
]


@pytest.mark.parametrize(("key", "value", "message"), CONTROL + SYNTAX + NUMBERS + SCHEDULE)
def test_a_value_the_run_would_fail_on_is_refused(
    tmp_path: Path, key: str, value: object, message: str
) -> None:
    assert refusal(tmp_path, mutate(key, value)).startswith(message)


@pytest.mark.parametrize(
    "repo",
    [
        "../..",
        "acme/..",
        "acme/.",
        "../web",
        "acme/web/issues",
        "-acme/web",
        ".acme/web",
        "acme/we b",
        "acme/",
    ],
)
def test_a_repo_is_owner_slash_name_and_never_a_path_step(tmp_path: Path, repo: str) -> None:
    assert (
        refusal(tmp_path, mutate("sources.0.repos", [repo]))
        == f"sources[0].repos: {repo!r} is not owner/name"
    )


def test_github_names_with_dots_underscores_and_hyphens_load(tmp_path: Path) -> None:
    repos = ["acme/.github", "acme-corp/web.app", "octo_emu/my_repo-2"]
    config = config_module.load(write(tmp_path, mutate("sources.0.repos", repos)))
    assert config.sources[0].repos == repos


def test_new_source_limits_have_defaults_and_take_values(tmp_path: Path) -> None:
    config = config_module.load(write(tmp_path, GOOD))
    assert (config.sources[0].max_response_mb, config.sources[0].deadline_minutes) == (100.0, 180.0)
    data = mutate("sources.1.max_response_mb", 2.5)
    data["sources"][1]["deadline_minutes"] = 45
    changed = config_module.load(write(tmp_path, data)).sources[1]
    assert (changed.max_response_mb, changed.deadline_minutes) == (2.5, 45.0)


# Expressions Dagster accepts that check-config refuses on purpose: croniter's rarer extensions,
# non-ASCII digits, and days no listed month has (Dagster loads those; they never fire).
STRICTER = ["0 0 L * *", "0 0 * * 1#2", "0 0 ? * *", "\u0663 * * * *", "0 0 31 4 *", "0 0 31 4,6 *"]
# Both sides of each rule: ranges, names, steps, lists, wrap-round, February, aliases.
AGREED = [
    *["0 2 * * *", "*/15 * * * *", "0 9-17 * * mon-fri", "30 1 1,15 * *", "0 0 * JAN,jul *"],
    *["0 0 29 2 *", "0 0 30 2 *", "0 0 31 2 *", "0 0 31 2 mon", "0 0 31 4 mon"],
    *["99 99 * * *", "60 * * * *", "* 24 * * *", "0 0 0 * *", "0 0 32 * *", "0 0 * 13 *", "0 0 * 0 *"],
    *["0 0 * * 8", "0 0 * * 7", "0 0 * * 0-7", "0 0 * * sun-sat", "0 0 * * 7-7", "0 0 * * MON"],
    *["*/0 * * * *", "5/15 * * * *", "*/90 * * * *", "0 0 1-31/2 * *", "1-5,10-15/2 * * * *"],
    *["0 22-2 * * *", "0 22-2/2 * * *", "0 0 * * fri-mon", "0 0 30-2 * *", "05 02 * * *"],
    *["- * * * *", "1- * * * *", "*/ * * * *", "a * * * *", "0,,5 * * * *", "1--2 * * * *", "*-5 * * * *"],
    *["*/5/2 * * * *", "+1 * * * *", "0 0 * * 5L", "H * * * *", "@daily", "@HOURLY", "@reboot", "0 2 * *"],
]


@pytest.mark.parametrize("expression", AGREED + STRICTER)
def test_cron_refuses_what_dagster_refuses(expression: str) -> None:
    """The schedule's own rule, without importing Dagster in check-config: compared with Dagster's."""
    try:
        cron.check(expression)
        accepted = True
    except ValueError:
        accepted = False
    assert accepted == (is_valid_cron_string(expression) and expression not in STRICTER)


def test_a_valid_schedule_loads(tmp_path: Path) -> None:
    schedule = {"cron": "30 1 * * 1-5", "timezone": "Europe/Paris"}
    assert (
        config_module.load(write(tmp_path, mutate("schedule", schedule))).schedule.timezone == "Europe/Paris"
    )


DUPLICATED = """\
warehouse: data/w.duckdb
sources:
  - name: web
    type: github
    token_env: TL_TEST_GH
    repos: [acme/web]
    per_page: 50
    repos: [acme/api]
"""


def test_a_key_given_twice_is_refused_with_its_line(tmp_path: Path) -> None:
    assert refusal(tmp_path, DUPLICATED) == "line 8: duplicate key 'repos'"
    top = "sources: []\nwarehouse: a.duckdb\nwarehouse: b.duckdb\n"
    assert refusal(tmp_path, top) == "line 3: duplicate key 'warehouse'"


def test_a_merge_key_may_be_overridden(tmp_path: Path) -> None:
    text = """\
defaults: &defaults {type: github, token_env: TL_TEST_GH, repos: [acme/web], per_page: 50}
sources:
  - <<: *defaults
    name: web
    per_page: 20
"""
    raw = yaml.load(text, Loader=config_module.UniqueKeyLoader)
    del raw["defaults"]
    assert config_module.parse(raw).sources[0].per_page == 20


def test_a_warehouse_that_is_a_directory_or_under_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    assert refusal(tmp_path, mutate("warehouse", "data")) == (
        f"warehouse: {tmp_path / 'data'} is a directory, not a DuckDB file"
    )
    (tmp_path / "work").write_text("")
    data = {**GOOD, "work_dir": "work"}
    assert refusal(tmp_path, data) == f"work_dir: {tmp_path / 'work'} is a file, not a directory"
    data = {**GOOD, "warehouse": "work/deeper/w.duckdb"}
    assert refusal(tmp_path, data) == f"warehouse: {tmp_path / 'work'} is a file, not a directory"


def test_paths_are_absolute_whatever_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A relative config path still gives absolute paths: `md:work` stays a local directory."""
    write(tmp_path, {**GOOD, "warehouse": "md:w.duckdb", "work_dir": "md:work"})
    monkeypatch.chdir(tmp_path)
    config = config_module.load("trackerlake.yaml")
    assert config.warehouse == tmp_path / "md:w.duckdb"
    assert config.work_database == tmp_path / "md:work" / "md:w.work.duckdb"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://me:s3cret-pass@acme.atlassian.net", "must not hold a user name or password"),
        ("https://s3cret-pass@acme.atlassian.net", "must not hold a user name or password"),
        ("ftp://me:s3cret-pass@acme.atlassian.net", "not an http(s) URL"),
        ("https://acme.atlassian.net/?s3cret-pass=1", "must not have a query or fragment"),
        ("https://acme.atlassian.net/#s3cret-pass", "must not have a query or fragment"),
        ("https://acme.atlassian.net:99999/s3cret-pass", "has an invalid port"),
        ("https://:443/s3cret-pass", "not an http(s) URL"),
        ("https://acme.atlassian.net/s3cret pass", "must not contain spaces"),
    ],
)
def test_base_url_carries_no_credentials_and_is_never_echoed(tmp_path: Path, url: str, message: str) -> None:
    text = refusal(tmp_path, mutate("sources.1.base_url", url))
    assert text.startswith(f"sources[1].base_url: {message}") and "s3cret" not in text


@pytest.mark.parametrize(
    ("variable", "value"),
    [("TL_TEST_JIRA", "s3cret-tök3n"), ("TL_TEST_JIRA", "s3cret\n"), ("TL_TEST_EMAIL", "me @example.com")],
)
def test_a_secret_a_header_cannot_carry_is_refused_without_echoing_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    key = "token_env" if variable == "TL_TEST_JIRA" else "email_env"
    text = refusal(tmp_path, GOOD)
    assert text.startswith(
        f"sources[1].{key}: environment variable {variable} holds a space, control or non-ASCII"
    )
    assert value.strip() not in text


def test_a_run_reads_the_secrets_through_the_same_check(monkeypatch: pytest.MonkeyPatch) -> None:
    jira = config_module.parse(GOOD).sources[1]
    assert config_module.source_secrets(jira) == {"token": "jira-token", "email": "me@example.com"}
    monkeypatch.setenv("TL_TEST_JIRA", "s3cret\u00e9")
    with pytest.raises(config_module.ConfigError) as error:
        config_module.source_secrets(jira)
    assert str(error.value).startswith("source acme: token_env: environment variable TL_TEST_JIRA holds")
    assert "s3cret" not in str(error.value)


def test_check_config_exits_2_with_one_line_from_any_directory(tmp_path: Path) -> None:
    """As an operator runs it: the installed command, from an empty directory, a config elsewhere."""
    path = write(tmp_path, mutate("sources.0.repos", ["../.."]))
    ended = trackerlake("check-config", "--config", str(path), cwd=empty_dir(tmp_path), env=ENV)
    assert (ended.returncode, ended.stdout) == (2, "")
    assert ended.stderr == f"trackerlake: {path}: sources[0].repos: '../..' is not owner/name\n"


def test_the_shipped_config_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKERLAKE_EMULATOR_TOKEN", "any")
    config = config_module.load(Path(__file__).parent.parent / "trackerlake.yaml")
    assert config.schedule.cron == "0 2 * * *" and config.sources[0].repos == [
        "acme/web",
        "acme/api",
        "acme/mobile",
    ]


def test_every_config_key_is_documented() -> None:
    """docs/configuration.md lists each key the models accept, so a new key cannot go undocumented."""
    doc = (Path(__file__).parent.parent / "docs" / "configuration.md").read_text()
    keys = {f"{name}.{sub}" for name, sub in _nested_keys(config_module.Config)}
    keys |= {name for name, field in config_module.Config.model_fields.items() if not _model_of(field)}
    keys |= {key for tracker in TRACKERS.values() for key in tracker.source.model_fields}
    assert sorted(key for key in keys if f"| `{key}` |" not in doc) == []


def _model_of(field: object) -> type | None:
    kind = getattr(field, "annotation", None)
    return kind if isinstance(kind, type) and issubclass(kind, config_module.Strict) else None


def _nested_keys(model: type) -> list[tuple[str, str]]:
    return [
        (name, sub)
        for name, field in model.model_fields.items()
        if (nested := _model_of(field))
        for sub in nested.model_fields
    ]
