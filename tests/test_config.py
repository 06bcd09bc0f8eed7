"""Config validation: every mistake is one line naming the file and the key, and exits 2."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from connectors import TRACKERS
from pipelines import config as config_module
from pipelines.cli import main

GOOD = {
    "warehouse": "data/w.duckdb",
    "sources": [
        {"name": "web", "type": "github", "token_env": "TL_TEST_GH", "repos": ["acme/web", "acme/api"]},
        {
            "name": "acme",
            "type": "jira",
            "base_url": "https://acme.atlassian.net",
            "email_env": "TL_TEST_EMAIL",
            "token_env": "TL_TEST_JIRA",
            "projects": ["PAY", "WEB"],
        },
    ],
}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TL_TEST_GH", "TL_TEST_EMAIL", "TL_TEST_JIRA"):
        monkeypatch.setenv(name, "x")


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "trackerlake.yaml"
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return path


def test_good_config_loads_with_defaults(tmp_path: Path, env: None) -> None:
    config = config_module.load(write(tmp_path, GOOD))
    assert [s.name for s in config.sources] == ["web", "acme"]
    assert config.warehouse == tmp_path / "data/w.duckdb"  # relative to the config file
    assert config.sources[0].base_url == "https://api.github.com"
    assert config.outcomes.post_release_window_days == 30
    assert config.forecast.trials == 2000 and config.forecast.window_weeks == 8
    assert (
        config.work_database.parent != config.warehouse.parent
    )  # working db kept apart from the published file


def mutate(path: str, value: object) -> dict:
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    node = data
    keys = path.split(".")
    for key in keys[:-1]:
        node = node[int(key)] if key.isdigit() else node[key]
    last = keys[-1]
    if value is ...:
        del node[int(last) if last.isdigit() else last]
    else:
        node[int(last) if last.isdigit() else last] = value
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (mutate("bogus", 1), "bogus: unknown key"),
        (mutate("sources.0.repoz", ["a/b"]), "sources[0].repoz: unknown key"),
        (mutate("sources.0.repos", ["not-a-repo"]), "sources[0].repos: 'not-a-repo' is not owner/name"),
        (mutate("sources.1.base_url", "acme.atlassian.net"), "sources[1].base_url: not an http(s) URL"),
        (
            mutate("sources.1.type", "trello"),
            f"sources[1].type: must be one of {', '.join(sorted(TRACKERS))}",
        ),
        (mutate("sources.1.projects", ["pay"]), "sources[1].projects: 'pay' is not a Jira project key"),
        (mutate("sources.1.email_env", ...), "email_env is required"),
        (mutate("sources.0.repos", ...), "sources[0].repos: required key is missing"),
        (mutate("sources.1.name", "web"), "duplicate source name 'web'"),
        (mutate("sources.0.name", "Web Team"), "sources[0].name: 'Web Team' must match"),
        (mutate("schedule", {"cron": "nightly"}), "schedule.cron: 'nightly' is not a 5-field cron"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, env: None, change: dict, message: str) -> None:
    path = write(tmp_path, change)
    with pytest.raises(config_module.ConfigError) as error:
        config_module.load(path)
    text = str(error.value)
    assert message in text and str(path) in text and "\n" not in text


def test_missing_env_var_is_named(tmp_path: Path, env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TL_TEST_JIRA")
    with pytest.raises(
        config_module.ConfigError, match=r"sources\[1\].token_env: environment variable TL_TEST_JIRA"
    ):
        config_module.load(write(tmp_path, GOOD))


def test_cli_exits_2_with_one_line(tmp_path: Path, env: None, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, mutate("sources.0.repos", ["nope"]))
    assert main(["check-config", "--config", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "sources[0].repos" in err and str(path) in err
    assert main(["run", "--config", str(path)]) == 2  # before any network call


def test_cli_check_config_ok_and_missing_file(
    tmp_path: Path, env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check-config", "--config", str(write(tmp_path, GOOD))]) == 0
    assert "ok (2 sources: web, acme)" in capsys.readouterr().out
    assert main(["check-config", "--config", str(tmp_path / "absent.yaml")]) == 2
    assert "config file not found" in capsys.readouterr().err


def test_config_path_from_env(tmp_path: Path, env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKERLAKE_CONFIG", str(write(tmp_path, GOOD)))
    assert config_module.resolve_path() == tmp_path / "trackerlake.yaml"
    assert config_module.resolve_path("x.yaml") == Path("x.yaml")


def test_invalid_yaml_and_bad_select(tmp_path: Path, env: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", "--config", str(write(tmp_path, "sources: [\n"))]) == 2
    assert "not valid YAML" in capsys.readouterr().err
    assert main(["run", "--config", str(write(tmp_path, GOOD)), "--select", "nope"]) == 2
    assert "--select: no source named 'nope'" in capsys.readouterr().err
