"""The Jira emulator answers over HTTP with the habits of real sites, which the marts must survive:
classic Resolved -> Closed weeks later, a workflow-migration night, -1 story points, sprints and
versions closed with issues not done, reopened issues, localised statuses, +0800 offsets."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from jira_support import demo_site, served, session

from emulators.jira.model import SPRINT_FIELD, STORY_POINTS_FIELD

SHANGHAI = timezone(timedelta(hours=8))
FIELDS = f"status,created,resolutiondate,fixVersions,timeoriginalestimate,{STORY_POINTS_FIELD},{SPRINT_FIELD}"


def when(stamp: str) -> datetime:
    """Jira's `2026-06-12T08:15:36.123+0800`."""
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f%z")


@pytest.fixture(scope="module")
def answers() -> dict[str, Any]:
    """Everything read once over HTTP, as a connector would: issues, their changelogs, sprints,
    versions and statuses."""
    site = demo_site()
    with served(site) as base, session("habits") as jira:
        issues, token = [], None
        while True:
            query = {"jql": "project in (PAY, WEB)", "fields": FIELDS, "maxResults": 100}
            page = jira.get(
                f"{base}/rest/api/3/search/jql", params=query | ({"nextPageToken": token} if token else {})
            ).json()
            issues += page["issues"]
            if page["isLast"]:
                break
            token = page["nextPageToken"]
        histories: dict[str, list[dict[str, Any]]] = {}
        body: dict[str, Any] = {"issueIdsOrKeys": [issue["id"] for issue in issues]}
        while True:
            page = jira.post(f"{base}/rest/api/3/changelog/bulkfetch", json=body).json()
            for log in page["issueChangeLogs"]:
                histories.setdefault(log["issueId"], []).extend(log["changeHistories"])
            if "nextPageToken" not in page:
                break
            body["nextPageToken"] = page["nextPageToken"]
        board = next(
            b
            for b in jira.get(f"{base}/rest/agile/1.0/board", params={"projectKeyOrId": "PAY"}).json()[
                "values"
            ]
            if b["name"] == "PAY board"
        )
        sprints = jira.get(f"{base}/rest/agile/1.0/board/{board['id']}/sprint").json()["values"]
        versions = [
            version
            for key in ("PAY", "WEB")
            for version in jira.get(f"{base}/rest/api/3/project/{key}/versions").json()
        ]
        statuses = jira.get(f"{base}/rest/api/3/status").json()
    return {
        "site": site,
        "issues": {issue["id"]: issue for issue in issues},
        "histories": histories,
        "sprints": sprints,
        "versions": versions,
        "statuses": statuses,
    }


def status_moves(histories: list[dict[str, Any]]) -> list[tuple[datetime, str, str, bool]]:
    """(when, from, to, whether the entry also sets or clears the resolution), oldest first."""
    return [
        (
            when(entry["created"]),
            item["fromString"],
            item["toString"],
            any(other["field"] == "resolution" for other in entry["items"]),
        )
        for entry in histories
        for item in entry["items"]
        if item["field"] == "status"
    ]


def test_resolved_issues_are_closed_days_or_weeks_later_keeping_their_resolution_date(
    answers: dict[str, Any],
) -> None:
    closed_late = []
    for issue_id, histories in answers["histories"].items():
        moves = status_moves(histories)
        for (resolved, _, into, _), (closed, left, closing, sets_resolution) in itertools.pairwise(moves):
            if (into, left, closing) == ("Resolved", "Resolved", "Closed"):
                assert not sets_resolution  # a move between done statuses leaves the resolution alone
                closed_late.append((issue_id, closed - resolved))
    late = [issue_id for issue_id, gap in closed_late if gap >= timedelta(days=10)]
    assert len(late) >= 20 and all(timedelta(days=3) <= gap <= timedelta(days=41) for _, gap in closed_late)
    # resolutiondate stays the day it was resolved, weeks before it was closed.
    resolved = answers["issues"][late[0]]["fields"]["resolutiondate"]
    first_resolved = [m for m in status_moves(answers["histories"][late[0]]) if m[2] == "Resolved"][-1][0]
    assert when(resolved) == first_resolved


def test_a_migration_night_moves_every_done_issue_to_a_localised_done_status(
    answers: dict[str, Any],
) -> None:
    migrated = {
        issue_id: move
        for issue_id, histories in answers["histories"].items()
        for move in status_moves(histories)
        if move[2] == "已完成" and move[1] in ("Resolved", "Closed")
    }
    nights = {move[0].astimezone(SHANGHAI).date() for move in migrated.values()}
    migration, new_status = answers["site"].story.migrations["PAY"]
    assert nights == {migration.astimezone(SHANGHAI).date()} and new_status == "已完成"
    assert len(migrated) >= 80
    assert not any(move[3] for move in migrated.values())  # no resolution change
    (night,) = nights
    # Every PAY issue done (Resolved or Closed) the evening before moved; none stayed behind.
    for issue_id, histories in answers["histories"].items():
        moves = status_moves(histories)
        before = [m for m in moves if m[0].astimezone(SHANGHAI).date() < night]
        if before and before[-1][2] in ("Resolved", "Closed"):
            assert issue_id in migrated
        assert not any(
            m[2] in ("Resolved", "Closed") and m[0].astimezone(SHANGHAI).date() > night for m in moves
        )
    done = {s["name"] for s in answers["statuses"] if s["statusCategory"]["key"] == "done"}
    assert {"Resolved", "Closed", "已完成"} <= done


def test_story_points_of_minus_one_and_a_negative_original_estimate(answers: dict[str, Any]) -> None:
    story = answers["site"].story
    minus_one = [i["key"] for i in answers["issues"].values() if i["fields"][STORY_POINTS_FIELD] == -1]
    assert len(minus_one) == 3 and set(minus_one) == set(
        story.not_estimated
    )  # two of 2026.2's, one of 2026.5's
    negative = [i for i in answers["issues"].values() if (i["fields"]["timeoriginalestimate"] or 0) < 0]
    assert [(i["key"], i["fields"]["timeoriginalestimate"]) for i in negative] == [
        (story.negative_estimates[0], -57600)  # "-2d" typed into 2026.4's issue
    ]
    edits = [
        item["toString"]
        for entry in answers["histories"][negative[0]["id"]]
        for item in entry["items"]
        if item["field"] == "timeoriginalestimate"
    ]
    assert edits == ["-57600"]


def done_at(answers: dict[str, Any], issue_id: str, moment: datetime) -> bool:
    """Whether the issue's status was in the done category at `moment`, from its changelog."""
    done = {s["id"] for s in answers["statuses"] if s["statusCategory"]["key"] == "done"}
    moves = [
        item["to"]
        for entry in answers["histories"].get(issue_id, [])
        if when(entry["created"]) <= moment
        for item in entry["items"]
        if item["field"] == "status"
    ]
    return bool(moves) and moves[-1] in done


def test_closed_sprints_carry_issues_not_done_into_the_next_sprint(answers: dict[str, Any]) -> None:
    sprints = {sprint["id"]: sprint for sprint in answers["sprints"]}
    ordered = sorted(sprints)
    incomplete: dict[str, tuple[int, int]] = {}  # sprint -> (issues not done at its close, issues)
    for sprint_id in ordered:
        sprint = sprints[sprint_id]
        if sprint["state"] != "closed":
            continue
        complete = when(sprint["completeDate"].replace("Z", "+0000"))
        held = [
            issue
            for issue in answers["issues"].values()
            if sprint_id in [entry["id"] for entry in issue["fields"][SPRINT_FIELD] or []]
        ]
        not_done = [issue for issue in held if not done_at(answers, issue["id"], complete)]
        if not not_done:
            continue
        incomplete[sprint["name"]] = (len(not_done), len(held))
        following = ordered[ordered.index(sprint_id) + 1]
        for issue in not_done:
            field_ids = [entry["id"] for entry in issue["fields"][SPRINT_FIELD]]
            assert field_ids[field_ids.index(sprint_id) + 1] == following  # the field keeps both
            carried = [
                item
                for entry in answers["histories"][issue["id"]]
                if abs(when(entry["created"]) - complete) < timedelta(seconds=1)
                for item in entry["items"]
                if item["field"] == "Sprint"
            ]
            assert carried and carried[0]["to"].endswith(f"{sprint_id}, {following}")
    assert set(incomplete) == {f"PAY Sprint {n}" for n in (7, 9, 12, 13, 14)}
    assert incomplete["PAY Sprint 14"] == (43, 52)
    intended = answers["site"].story.sprints
    assert {name for name, intent in intended.items() if intent == "closed_incomplete"} == set(incomplete)


def test_versions_are_released_with_unresolved_issues(answers: dict[str, Any]) -> None:
    released = {v["id"]: v["name"] for v in answers["versions"] if v["released"]}
    unresolved = Counter(
        released[version["id"]]
        for issue in answers["issues"].values()
        if issue["fields"]["status"]["statusCategory"]["key"] != "done"
        for version in issue["fields"]["fixVersions"]
        if version["id"] in released
    )
    # web-2026.08 shipped with three issues never resolved; 2026.3 with one reopened after release.
    assert unresolved == {"web-2026.08": 3, "2026.3": 1}


def test_issues_are_resolved_reopened_and_resolved_again(answers: dict[str, Any]) -> None:
    again = []
    for issue_id, histories in answers["histories"].items():
        settings = [
            (when(entry["created"]), item["to"] is not None)
            for entry in histories
            for item in entry["items"]
            if item["field"] == "resolution"
        ]
        if [kind for _, kind in settings][:3] == [True, False, True]:
            again.append((issue_id, settings[-1][0]))
    assert len({answers["issues"][i]["key"].split("-")[0] for i, _ in again}) == 2  # PAY and WEB
    for issue_id, last in again:
        assert when(answers["issues"][issue_id]["fields"]["resolutiondate"]) == last


def test_status_names_in_chinese_and_german(answers: dict[str, Any]) -> None:
    in_use = {issue["fields"]["status"]["name"] for issue in answers["issues"].values()}
    assert {"待办", "In Bearbeitung", "In Prüfung", "完成", "已完成"} <= in_use
    assert {"Resolved", "Closed"}.isdisjoint(in_use)  # all migrated


def test_timestamps_carry_plus_0800_offsets(answers: dict[str, Any]) -> None:
    stamps = [
        issue["fields"]["resolutiondate"]
        for issue in answers["issues"].values()
        if issue["fields"]["resolutiondate"]
    ] + [entry["created"] for histories in answers["histories"].values() for entry in histories]
    offsets = Counter(stamp[-5:] for stamp in stamps)
    assert offsets["+0800"] > 100 and len(offsets) >= 3
