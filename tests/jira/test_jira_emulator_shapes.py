"""Key drift: every Jira emulator answer carries at least the keys of the official or recorded example."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from jira_support import base_fixture, example, missing_keys, session, site_fixture  # noqa: F401 (the fixtures)

from emulators.jira.model import SPRINT_FIELD, JiraSite

HIDDEN_EMAIL = frozenset({"emailAddress"})  # users who hide their email have no emailAddress key
OPTIONAL = HIDDEN_EMAIL | {"marks"}  # and plain ADF text has no `marks` (bold, links...)


@pytest.fixture(scope="module")
def jira() -> Iterator[requests.Session]:
    client = session("shapes")
    yield client
    client.close()


@pytest.fixture(scope="module")
def pay_issues(base: str, jira: requests.Session) -> list[dict[str, Any]]:
    """Every PAY issue with all fields, read page by page with nextPageToken."""
    issues, token = [], None
    while True:
        params = {"jql": "project = PAY ORDER BY id ASC", "fields": "*all", "maxResults": 100}
        page = jira.get(
            f"{base}/rest/api/3/search/jql", params={**params, **({"nextPageToken": token} if token else {})}
        )
        assert page.status_code == 200, page.text
        body = page.json()
        issues += body["issues"]
        token = body.get("nextPageToken")
        if body["isLast"]:
            return issues


def _first(issues: list[dict[str, Any]], field: str) -> Any:
    """The first non-empty value of `field` among `issues` (the example's must be compared with one)."""
    return next(
        issue["fields"][field] for issue in issues if issue["fields"].get(field) not in (None, [], {})
    )


def test_search_jql_envelope_and_issue_keys(
    base: str, jira: requests.Session, pay_issues: list[dict[str, Any]]
) -> None:
    official = example("spec_search_jql_get")
    page = jira.get(
        f"{base}/rest/api/3/search/jql", params={"jql": "project = WEB", "fields": "summary", "maxResults": 5}
    )
    body = page.json()
    assert set(official) <= set(body)
    assert set(official["issues"][0]) <= set(body["issues"][0])
    assert "total" not in body and "startAt" not in body


def test_issue_fields_have_every_recorded_system_field(pay_issues: list[dict[str, Any]]) -> None:
    recorded = example("goatl_issue_v3")["fields"]
    system = {name for name in recorded if not name.startswith("customfield_")}
    assert system <= set(pay_issues[0]["fields"])


RECORDED_NESTED = (
    "issuetype", "project", "fixVersions", "versions", "resolution", "watches", "issuerestriction", "priority",
    "assignee", "status", "timetracking", "creator", "reporter", "subtasks", "aggregateprogress", "progress",
    "comment", "votes", "worklog", "parent", "description",
)  # fmt: skip


@pytest.mark.parametrize("field", RECORDED_NESTED)
def test_nested_issue_field_keys_match_the_recorded_cloud_issues(
    field: str, pay_issues: list[dict[str, Any]]
) -> None:
    recorded = example("goatl_search_v3_legacy_startAt_total")["issues"]
    assert missing_keys(_first(pay_issues, field), _first(recorded, field), field, OPTIONAL) == []


def test_sprint_field_value_keys_match_the_recorded_sprint_field(pay_issues: list[dict[str, Any]]) -> None:
    recorded = example("goatl_agile_sprint_issues")["issues"][0]["fields"]["customfield_10020"]
    active = next(
        value
        for issue in pay_issues
        for value in issue["fields"][SPRINT_FIELD] or []
        if value["state"] == "active"
    )
    assert missing_keys([active], recorded) == []


def test_data_center_search_envelope(base: str, jira: requests.Session) -> None:
    recorded = example("goatl_search_v3_legacy_startAt_total")
    body = jira.get(f"{base}/rest/api/2/search", params={"jql": "project = PAY", "maxResults": 2}).json()
    # The official example adds `warningMessages`, which Jira sends only when the query has warnings.
    assert set(recorded) <= set(body)
    assert {"expand", "fields", "id", "key", "self"} <= set(body["issues"][0])


def test_embedded_changelog_keys(base: str, jira: requests.Session, site: JiraSite) -> None:
    recorded = example("goatl_agile_sprint_issues_expand_changelog")["issues"][0]["changelog"]
    params = {
        "jql": "project = PAY ORDER BY updated DESC",
        "fields": "status",
        "expand": "changelog",
        "maxResults": 5,
    }
    issue = jira.get(f"{base}/rest/api/3/search/jql", params=params).json()["issues"][0]
    assert missing_keys(issue["changelog"], recorded, "changelog", HIDDEN_EMAIL) == []


def test_changelog_page_keys(base: str, jira: requests.Session, site: JiraSite) -> None:
    official = example("spec_issue_changelog")
    key = max(site.issues.values(), key=lambda issue: len(issue.histories)).key
    body = jira.get(f"{base}/rest/api/3/issue/{key}/changelog", params={"maxResults": 2}).json()
    assert missing_keys(body, official, "page", HIDDEN_EMAIL) == []


def test_bulkfetch_keys(base: str, jira: requests.Session, site: JiraSite) -> None:
    official = example("spec_changelog_bulkfetch")
    keys = [issue.key for issue in list(site.issues.values())[:20]]
    body = jira.post(
        f"{base}/rest/api/3/changelog/bulkfetch", json={"issueIdsOrKeys": keys, "maxResults": 5}
    ).json()
    assert missing_keys(body, official, "bulk", HIDDEN_EMAIL) == []


def test_field_list_keys(base: str, jira: requests.Session) -> None:
    fields = jira.get(f"{base}/rest/api/3/field").json()
    by_id = {entry["id"]: entry for entry in fields}
    for sample in (example("spec_fields"), example("goatl_fields_v3")):
        for expected in sample:
            if expected["id"] in by_id:
                assert missing_keys(by_id[expected["id"]], expected, expected["id"]) == []
    custom = [entry for entry in fields if entry["custom"]]
    assert all({"type", "custom", "customId"} <= set(entry["schema"]) for entry in custom)


def test_versions_page_keys(base: str, jira: requests.Session) -> None:
    official = example("spec_project_version_paginated")
    body = jira.get(f"{base}/rest/api/3/project/PAY/version", params={"maxResults": 2}).json()
    assert missing_keys(body, official, "versions") == []


def test_board_keys(base: str, jira: requests.Session) -> None:
    body = jira.get(f"{base}/rest/agile/1.0/board", params={"projectKeyOrId": "PAY"}).json()
    for sample in (example("spec_agile_boards"), example("gojira_agile_boards")):
        assert missing_keys(body, sample, "boards") == []
    one = jira.get(f"{base}/rest/agile/1.0/board/{body['values'][0]['id']}").json()
    assert missing_keys(one, example("goatl_agile_board"), "board") == []


def test_sprint_keys(base: str, jira: requests.Session) -> None:
    body = jira.get(f"{base}/rest/agile/1.0/board/1/sprint").json()
    for sample in (example("spec_agile_board_sprints"), example("gojira_agile_board_sprints")):
        assert missing_keys(body, sample, "sprints") == []
    closed = body["values"][0]
    assert closed["state"] == "closed"
    one = jira.get(f"{base}/rest/agile/1.0/sprint/{closed['id']}").json()
    assert missing_keys(one, example("spec_agile_sprint"), "sprint") == []
    assert one["startDate"].endswith("Z") and "." in one["startDate"]


def test_status_list_items_carry_the_issue_status_keys(base: str, jira: requests.Session) -> None:
    recorded = example("goatl_issue_v3")["fields"]["status"]
    statuses = jira.get(f"{base}/rest/api/3/status").json()
    assert all(missing_keys(status, recorded) == [] for status in statuses)
