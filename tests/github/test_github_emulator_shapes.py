"""Key drift: every emulator object carries every key of GitHub's official example, at every depth.

The examples are the copies in tests/fixtures/github/ (see tests/fixtures/README.md). A nested
object (user, milestone, labels[0], head.repo, ...) is compared wherever the emulator's value is
populated, and every nested object of the example must have been compared at least once.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from github_support import example, get_all

from emulators.server import EmulatorServer

# Lists the demo never fills, so there is nothing to compare their items with.
NEVER_POPULATED = {"requested_reviewers[]", "requested_teams[]"}


def drift(
    expected: dict[str, Any], actual: dict[str, Any], path: str, missing: list[str], compared: set[str]
) -> None:
    for key, value in expected.items():
        where = f"{path}.{key}" if path else key
        if key not in actual:
            missing.append(where)
            continue
        got = actual[key]
        if isinstance(value, dict) and isinstance(got, dict):
            compared.add(where)
            drift(value, got, where, missing, compared)
        elif (
            isinstance(value, list) and value and isinstance(value[0], dict) and isinstance(got, list) and got
        ):
            compared.add(f"{where}[]")
            for item in got:
                drift(value[0], item, f"{where}[]", missing, compared)


def nested(expected: dict[str, Any], path: str = "") -> set[str]:
    """The paths of the example's nested objects (dicts, and lists of dicts as "name[]")."""
    found: set[str] = set()
    for key, value in expected.items():
        where = f"{path}.{key}" if path else key
        if isinstance(value, dict):
            found |= {where} | nested(value, where)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            found |= {f"{where}[]"} | nested(value[0], f"{where}[]")
    return found


def without_pull_request(issue: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in issue.items() if key != "pull_request"}


def assert_no_drift(expected_for: Any, items: list[dict[str, Any]], expected_paths: set[str]) -> None:
    missing: list[str] = []
    compared: set[str] = set()
    for item in items:
        drift(expected_for(item), item, "", missing, compared)
    assert not missing, f"keys of the official example missing: {sorted(set(missing))}"
    assert expected_paths - compared - NEVER_POPULATED == set(), "nested objects never compared"


@pytest.fixture(scope="module")
def web_lists(server: EmulatorServer) -> dict[str, list[dict[str, Any]]]:
    session = requests.Session()
    session.headers["Authorization"] = "token shapes"
    base = f"{server.github_url}/repos/acme/web"
    return {
        "issues": get_all(session, f"{base}/issues", state="all"),
        "pulls": get_all(session, f"{base}/pulls", state="all"),
        "milestones": get_all(session, f"{base}/milestones", state="all"),
        "events": get_all(session, f"{base}/issues/events"),
        "releases": get_all(session, f"{base}/releases"),
    }


def test_issue_items_have_every_key_of_the_official_example(
    web_lists: dict[str, list[dict[str, Any]]],
) -> None:
    official = example("list_repo_issues.json")[0]
    items = web_lists["issues"]
    pulls = [item for item in items if "pull_request" in item]
    assert pulls and len(pulls) < len(items), "issues and pull requests come mixed in /issues"
    assert_no_drift(
        lambda item: official if "pull_request" in item else without_pull_request(official),
        items,
        nested(official),
    )


def test_pull_request_items_have_every_key_of_the_official_example(
    web_lists: dict[str, list[dict[str, Any]]],
) -> None:
    official = example("list_pull_requests.json")[0]
    assert_no_drift(lambda item: official, web_lists["pulls"], nested(official))


def test_milestones_have_every_key_of_the_official_example(
    web_lists: dict[str, list[dict[str, Any]]],
) -> None:
    official = example("list_milestones.json")[0]
    assert_no_drift(lambda item: official, web_lists["milestones"], nested(official))


def test_issue_events_have_every_key_of_the_official_example(
    web_lists: dict[str, list[dict[str, Any]]],
) -> None:
    official = example("list_repo_issue_events.json")[0]
    plain = {**official, "issue": without_pull_request(official["issue"])}
    assert_no_drift(
        lambda item: official if "pull_request" in item["issue"] else plain,
        web_lists["events"],
        nested(official),
    )


def test_releases_have_every_key_of_the_official_example(web_lists: dict[str, list[dict[str, Any]]]) -> None:
    official = example("list_releases.json")[0]
    assert_no_drift(lambda item: official, web_lists["releases"], nested(official))


def test_rate_limit_has_every_key_of_the_official_example(
    server: EmulatorServer, gh: requests.Session
) -> None:
    official = example("rate_limit.json")
    assert_no_drift(
        lambda item: official, [gh.get(f"{server.github_url}/rate_limit").json()], nested(official)
    )


def test_no_value_of_the_examples_leaks_into_answers(web_lists: dict[str, list[dict[str, Any]]]) -> None:
    text = repr(web_lists)
    assert "octocat" not in text and "Hello-World" not in text


def test_html_urls_point_at_github_com(web_lists: dict[str, list[dict[str, Any]]]) -> None:
    issue = next(item for item in web_lists["issues"] if "pull_request" not in item)
    assert issue["html_url"] == f"https://github.com/acme/web/issues/{issue['number']}"
    pull = web_lists["pulls"][0]
    assert pull["html_url"] == f"https://github.com/acme/web/pull/{pull['number']}"


def test_text_is_sent_as_utf8_not_escaped(server: EmulatorServer, gh: requests.Session) -> None:
    response = gh.get(f"{server.github_url}/repos/acme/web/issues", params={"state": "all", "per_page": 100})
    body = response.content
    while "next" in response.links:
        response = gh.get(response.links["next"]["url"])
        body += response.content
    assert "Zoë".encode() in body and b"\\u" not in body
