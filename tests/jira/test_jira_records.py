"""Every recorded Jira payload parses: keys, UTC cursors from +0800-style offsets, odd values."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fake_jira import fixture

from connectors.jira import JiraConnector
from connectors.jira.fields import keep_last_known, resolve_field_roles, role_records

ISSUE_PAYLOADS = [
    "goatl_search_v3_legacy_startAt_total.json",
    "goatl_agile_sprint_issues.json",
    "goatl_agile_sprint_issues_expand_changelog.json",
    "gojira_agile_sprint_issues.json",
    "spec_search_jql_get.json",
]


def stream(name: str):
    return next(s for s in JiraConnector.streams if s.name == name)


def key_of(stream_name: str, record: dict):
    return JiraConnector.record_key(JiraConnector.__new__(JiraConnector), stream(stream_name), record)


@pytest.mark.parametrize("name", ISSUE_PAYLOADS)
def test_recorded_issues_have_ids_and_utc_cursors(name: str) -> None:
    for issue in fixture(name)["issues"]:
        key = key_of("issues", issue)
        assert key.id == str(issue["id"])
        updated = issue["fields"].get("updated")
        if isinstance(updated, str):
            assert key.cursor is not None and key.cursor.utcoffset().total_seconds() == 0
        else:  # missing from a fields subset, or the spec example's `"updated": 1`
            assert key.cursor is None


def test_single_issue_payload_parses() -> None:
    issue = fixture("goatl_issue_v3.json")
    key = key_of("issues", issue)
    assert key.id == "10032"
    assert key.cursor == datetime(2021, 11, 18, 0, 18, 29, 845000, tzinfo=UTC)


def test_offset_without_colon_becomes_utc() -> None:
    issue = {"id": "10001", "fields": {"updated": "2020-06-12T08:15:36.123+0800", "summary": "支付失败"}}
    assert key_of("issues", issue).cursor == datetime(2020, 6, 12, 0, 15, 36, 123000, tzinfo=UTC)
    negative = {"id": "12338", "fields": {"updated": "2016-02-01T08:17:04.000-0800"}}
    assert key_of("issues", negative).cursor == datetime(2016, 2, 1, 16, 17, 4, tzinfo=UTC)


def test_null_fields_and_missing_fields_parse() -> None:
    assert key_of("issues", {"id": 7, "fields": None}).cursor is None
    assert key_of("issues", {"id": 7}).id == "7"


@pytest.mark.parametrize(
    ("stream_name", "name", "ids"),
    [
        ("sprints", "gojira_agile_board_sprints.json", ["740", "776", "807", "832", "845", "846"]),
        ("sprints", "goatl_agile_board_sprints.json", ["4"]),
        ("versions", "spec_project_version_paginated.json", ["10000", "10010"]),
    ],
)
def test_milestone_payloads_key_by_id(stream_name: str, name: str, ids: list[str]) -> None:
    keys = [key_of(stream_name, r) for r in fixture(name)["values"]]
    assert [k.id for k in keys] == ids and all(k.cursor is None for k in keys)


def test_recorded_site_resolves_story_points_to_both_candidates() -> None:
    roles = resolve_field_roles(fixture("goatl_fields_v3.json"))
    # "Story Points" (float, classic projects) before "Story point estimate" (jsw-story-points).
    assert roles["story_points"] == ["customfield_10036", "customfield_10016"]
    assert roles["sprint"] == ["customfield_10020"]
    assert roles["epic_link"] == ["customfield_10014"]
    assert roles["start_date"] == ["customfield_10015", "customfield_10022"]
    assert roles["request_type"] == ["customfield_10010"]


def test_config_override_wins_and_a_bare_site_has_no_custom_fields() -> None:
    roles = resolve_field_roles(fixture("goatl_fields_v3.json"), {"story_points": "customfield_10099"})
    assert roles["story_points"] == ["customfield_10099"]
    assert all(ids == [] for ids in resolve_field_roles(fixture("spec_fields.json")).values())


def test_a_field_the_list_lost_is_kept_in_the_last_known_order() -> None:
    last = {"story_points": ["customfield_10036", "customfield_10016"], "sprint": ["customfield_10020"]}
    found = {"story_points": ["customfield_10016", "customfield_10050"], "sprint": ["customfield_10020"]}
    roles, kept = keep_last_known(found, {}, last)
    # 10036 was preferred last run and still is; 10050 is new and comes after.
    assert roles["story_points"] == ["customfield_10036", "customfield_10016", "customfield_10050"]
    assert roles["sprint"] == ["customfield_10020"]
    assert kept == {"story_points": ["customfield_10036"]}
    records = {r["role"]: r for r in role_records(roles, {}, kept)}
    assert records["story_points"]["resolved_by"] == "last_known"
    assert "customfield_10036 (story_points)" in records["story_points"]["warning"]
    assert records["sprint"] == {
        "role": "sprint",
        "field_ids": ["customfield_10020"],
        "resolved_by": "field_list",
    }


def test_overrides_and_a_first_run_keep_nothing() -> None:
    found = {"story_points": ["customfield_10099"], "sprint": []}
    last = {"story_points": ["customfield_10036"], "sprint": []}
    assert keep_last_known(found, {"story_points": "customfield_10099"}, last) == (found, {})
    assert keep_last_known(found, {}, None) == (found, {})
