"""The generated Jira site tells the story metrics.md needs, and changes keep changelog and fields in step."""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from jira_support import (
    AS_OF,
    demo_site,
    served,
    session,
    site_fixture,  # noqa: F401 (the fixtures)
)

from emulators.jira.model import STORY_POINTS_FIELD, Issue, JiraSite, Version
from emulators.jira.story import STATUSES, replan

DONE_STATUSES = {status.id for status in STATUSES if status.category == "done"}  # retired ones too
NOT_DELIVERED = {"Won't Do", "Won't Fix", "Duplicate", "Cannot Reproduce"}
WEEK = timedelta(weeks=1)


# -- what the metrics would say (simplified from metrics.md) --------------------------------------


def delivered(issue: Issue) -> bool:
    return (
        issue.status.category == "done"
        and issue.resolution is not None
        and issue.resolution.name not in NOT_DELIVERED
    )


def scope(site: JiraSite, version: Version) -> list[Issue]:
    return [issue for issue in site.issues.values() if version in issue.fix_versions]


def local_day(site: JiraSite, when: datetime) -> date:
    return when.astimezone(site.user_zone).date()


def completed_on(site: JiraSite, version: Version) -> date | None:
    resolved = [issue.resolved for issue in scope(site, version) if delivered(issue)]
    return local_day(site, max(resolved)) if resolved else version.release_date


def weekly_throughput(site: JiraSite, project: str) -> list[int]:
    start = AS_OF - 8 * WEEK
    weeks = [0] * 8
    for issue in site.issues.values():
        if (
            issue.project.key == project
            and issue.issuetype.name != "Epic"
            and delivered(issue)
            and issue.resolved >= start
        ):
            weeks[int((issue.resolved - start) / WEEK)] += 1
    return weeks


def forecast_status(site: JiraSite, version: Version) -> str:
    """metrics.md's rules 2-6 with a 2,000-trial weekly Monte Carlo over the trailing 8 weeks."""
    today = AS_OF.date()
    remaining = sum(1 for issue in scope(site, version) if issue.status.category != "done")
    if version.release_date is None:
        return "no_due_date"
    if version.release_date < today:
        return "overdue"
    samples, rng, finishes = weekly_throughput(site, version.project.key), random.Random(0), []
    for _ in range(2000):
        left, weeks = remaining, 0
        while left > 0:
            left, weeks = left - rng.choice(samples), weeks + 1
        finishes.append(today + weeks * WEEK)
    finishes.sort()
    if finishes[1000] > version.release_date:
        return "slipping"
    return "at_risk" if finishes[1700] > version.release_date else "on_track"


def done_at(issue: Issue, when: datetime) -> bool:
    """Whether the issue's status was a done one at `when`, from its changelog."""
    moves = [i.to for h in issue.histories if h.created <= when for i in h.items if i.field == "status"]
    return bool(moves) and moves[-1] in DONE_STATUSES


def version_status(site: JiraSite, version: Version) -> str:
    if not version.released:
        return forecast_status(site, version)
    resolved = [issue.resolved for issue in scope(site, version) if issue.resolved is not None]
    completed = max(resolved, default=AS_OF)
    if not all(done_at(issue, completed) for issue in scope(site, version)):
        return "closed_incomplete"  # released with issues not done when its last one was resolved
    if version.release_date is None:
        return "done"
    return "done_on_time" if completed_on(site, version) <= version.release_date else "done_late"


def customer_reported(issue: Issue) -> bool:
    return "customer" in issue.labels or issue.request_type is not None


def reopened_after(issue: Issue, when: datetime) -> bool:
    done = DONE_STATUSES
    return any(
        item.field == "status" and item.from_ in done and item.to not in done and history.created > when
        for history in issue.histories
        for item in history.items
    )


def outcome_status(site: JiraSite, version: Version) -> str:
    items = [issue for issue in scope(site, version) if delivered(issue)]
    released = max(issue.resolved for issue in items)
    defects = [
        issue
        for issue in site.issues.values()
        if version in issue.affects and released < issue.created <= released + timedelta(days=30)
    ]
    rate = len(defects) / max(len(items), 1)
    stale = [
        d
        for d in defects
        if customer_reported(d) and d.resolved is None and AS_OF - d.created > timedelta(days=14)
    ]
    if rate > 0.25 or stale:
        return "failing"
    reopened = any(reopened_after(issue, released) for issue in scope(site, version))
    return "watch" if rate > 0.10 or reopened else "healthy"


# -- the story ----------------------------------------------------------------------------------


def test_the_story_names_every_status_of_metrics_md(site: JiraSite) -> None:
    versions = set(site.story.versions.values())
    assert {
        "done_on_time",
        "done_late",
        "done",
        "overdue",
        "no_due_date",
        "slipping",
        "at_risk",
        "on_track",
        "closed_incomplete",
    } <= versions
    assert {"done_on_time", "done_late", "closed_incomplete", "active", "future"} <= set(
        site.story.sprints.values()
    )
    assert {"healthy", "watch", "failing"} <= set(site.story.outcomes.values())


@pytest.mark.parametrize("seed", [7, 11])
def test_versions_are_in_their_intended_status(seed: int) -> None:
    site = demo_site(seed)
    found = {
        f"{version.project.key} {version.name}": version_status(site, version)
        for version in site.versions.values()
    }
    assert found == site.story.versions


def test_delivered_versions_have_their_intended_outcome(site: JiraSite) -> None:
    found = {name: outcome_status(site, site.version_named(*name.split(" "))) for name in site.story.outcomes}
    assert found == site.story.outcomes


def test_an_on_time_release_fails_on_a_customer_bug_left_open(site: JiraSite) -> None:
    bug = site.issue(site.story.open_customer_bug)
    version = bug.affects[0]
    assert version_status(site, version) == "done_on_time" and outcome_status(site, version) == "failing"
    assert customer_reported(bug) and bug.resolved is None and AS_OF - bug.created > timedelta(days=14)


def test_sprints_are_closed_on_time_late_incomplete_active_and_future(site: JiraSite) -> None:
    for sprint in site.sprints.values():
        intent = site.story.sprints[sprint.name]
        if sprint.state == "closed":
            on_time = local_day(site, sprint.complete) <= local_day(site, sprint.end)
            unfinished = [
                issue
                for issue in site.issues.values()
                if sprint in issue.sprints and not done_at(issue, sprint.complete)
            ]
            expected = "closed_incomplete" if unfinished else "done_on_time" if on_time else "done_late"
            assert intent == expected
        else:
            assert intent.startswith(sprint.state)
            assert (sprint.start is None) == (intent == "future, no dates")
    active = [sprint for sprint in site.sprints.values() if sprint.state == "active"]
    assert len(active) == 1 and active[0].start < AS_OF < active[0].end


def history_items(site: JiraSite, project: str | None = None) -> list[tuple[Issue, datetime, Any]]:
    return [
        (issue, history.created, item)
        for issue in site.issues.values()
        if project in (None, issue.project.key)
        for history in issue.histories
        for item in history.items
    ]


def test_scope_creep_removals_and_carry_over_are_in_the_changelog(site: JiraSite) -> None:
    started = {str(v.id): v for v in site.versions.values() if v.start_date}
    fix_items = [
        (when, item, started.get(item.to or item.from_ or ""))
        for _, when, item in history_items(site)
        if item.field == "Fix Version"
    ]
    added_late = [v for when, item, v in fix_items if v and item.to and local_day(site, when) > v.start_date]
    removed_late = [
        v for when, item, v in fix_items if v and item.from_ and local_day(site, when) > v.start_date
    ]
    assert len({v.name for v in added_late}) >= 5 and len({v.name for v in removed_late}) >= 3
    carried = [
        item
        for _, _, item in history_items(site, "PAY")
        if item.field == "Sprint" and ", " in (item.to or "")
    ]
    assert carried and all(re.fullmatch(r"\d+(, \d+)+", item.to) for item in carried)
    mid_sprint = [
        (when, item)
        for _, when, item in history_items(site, "PAY")
        if item.field == "Sprint"
        and item.to
        and (sprint := site.sprints[int(item.to.split(", ")[-1])]).start
        and sprint.start < when < (sprint.complete or AS_OF)
        and not item.from_
    ]
    taken_out = [
        item
        for _, _, item in history_items(site, "PAY")
        if item.field == "Sprint" and item.from_ and not item.to
    ]
    assert mid_sprint and taken_out


def test_resolutions_reopens_and_defects(site: JiraSite) -> None:
    resolutions = Counter(issue.resolution.name for issue in site.issues.values() if issue.resolution)
    assert {"Done", "Won't Do", "Won't Fix", "Duplicate", "完成"} <= set(resolutions)
    assert any(reopened_after(issue, issue.created) for issue in site.issues.values())
    defects = [issue for issue in site.issues.values() if issue.affects]
    assert {issue.project.key for issue in defects} == {"PAY", "WEB"}
    assert any("customer" in issue.labels for issue in defects)
    assert any(issue.request_type is not None for issue in defects)


def test_long_histories_deleted_keys_and_people(site: JiraSite) -> None:
    lengths = sorted(len(site.issue(key).histories) for key in site.story.long_histories)
    assert lengths[-1] >= 150 and lengths[0] > 40
    for key in site.story.deleted:
        assert key not in site.by_key
    names = {user.display_name for user in site.users.values()}
    assert any(re.search(r"[\u4e00-\u9fff]", name) for name in names) and any(
        re.search(r"[éëöü]", name) for name in names
    )
    assert any(user.email is None for user in site.users.values())


def test_pay_estimates_story_points_and_time(site: JiraSite) -> None:
    work = [
        i for i in site.issues.values() if i.project.key == "PAY" and i.issuetype.name in ("Story", "Task")
    ]
    assert sum(i.story_points is not None for i in work) / len(work) > 0.8
    assert sum(i.original_estimate is not None for i in work) / len(work) > 0.8
    assert sum(bool(i.time_spent) for i in work if delivered(i)) / sum(delivered(i) for i in work) > 0.8
    assert STORY_POINTS_FIELD != "customfield_10016"


def test_timestamps_mix_offsets_without_a_colon(site: JiraSite) -> None:
    with served(site) as base, session("offsets") as jira:
        params = {
            "jql": "project in (PAY, WEB)",
            "fields": "created,updated,resolutiondate",
            "maxResults": 100,
        }
        issues = jira.get(f"{base}/rest/api/3/search/jql", params=params).json()["issues"]
    stamps = [issue["fields"]["created"] for issue in issues]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}", stamp) for stamp in stamps)
    assert {"+0800", "-0500", "+0000"} <= {stamp[-5:] for stamp in stamps}


def test_same_seed_same_site() -> None:
    def fingerprint(site: JiraSite) -> list[Any]:
        return [(i.key, i.updated, i.status.name, [h.id for h in i.histories]) for i in site.issues.values()]

    assert fingerprint(demo_site()) == fingerprint(demo_site())


# -- changes ------------------------------------------------------------------------------------


def test_changes_write_the_changelog_and_move_updated() -> None:
    site = demo_site()
    with served(site) as base, session("changes") as jira:
        site.advance(hours=1)
        created = site.create_issue("PAY", "Story", "Refund in two currencies", story_points=3.0)
        assert created.created == created.updated == site.clock.now and created.histories == []
        site.advance(minutes=10)
        version = site.version_named("PAY", "2026.7")
        sprint = next(s for s in site.sprints.values() if s.state == "active")
        site.update_issue(
            created.key, summary="Refunds in two currencies", story_points=5.0, labels=["customer"]
        )
        site.set_fix_versions(created.key, [version.id])
        site.move_to_sprint(created.key, sprint.id)
        site.transition(created.key, "In Progress")
        site.advance(minutes=10)
        site.transition(created.key, "已完成", time_spent=3600)  # PAY's done status since its migration
        body = jira.get(f"{base}/rest/api/3/issue/{created.key}/changelog").json()
        items = {item["field"]: item for history in body["values"] for item in history["items"]}
        assert items["summary"]["toString"] == "Refunds in two currencies"
        assert (items["Story Points"]["fieldId"], items["Story Points"]["toString"]) == (
            STORY_POINTS_FIELD,
            "5",
        )
        assert (items["Fix Version"]["to"], items["Fix Version"]["from"]) == (str(version.id), None)
        assert (items["Sprint"]["from"], items["Sprint"]["to"]) == ("", str(sprint.id))
        assert items["status"]["to"] == site.status_named(created.project, "已完成").id
        assert items["resolution"]["toString"] == "Done"
        fields = jira.get(f"{base}/rest/api/3/issue/{created.key}").json()["fields"]
        assert fields["resolution"]["name"] == "Done" and fields["timespent"] == 3600
        assert fields["updated"] == fields["resolutiondate"] != fields["created"]
        millis = int((site.clock.now - timedelta(minutes=1)).timestamp() * 1000)
        recent = jira.get(
            f"{base}/rest/api/3/search/jql", params={"jql": f"project = PAY AND updated >= {millis}"}
        ).json()
        assert [issue["id"] for issue in recent["issues"]] == [str(created.id)]

        site.advance(minutes=5)
        site.transition(created.key, "In Progress")  # reopened: the resolution is cleared in the same change
        last = jira.get(f"{base}/rest/api/3/issue/{created.key}/changelog").json()["values"][-1]["items"]
        assert [(item["field"], item["to"]) for item in last] == [("status", "3"), ("resolution", None)]

        site.delete_issue(created.key)
        assert jira.get(f"{base}/rest/api/3/issue/{created.key}").status_code == 404


def test_closing_a_sprint_carries_unfinished_issues_over() -> None:
    site = demo_site()
    active = next(s for s in site.sprints.values() if s.state == "active")
    following = next(s for s in site.sprints.values() if s.state == "future")
    unfinished = [
        i
        for i in site.issues.values()
        if i.sprints and i.sprints[-1] is active and i.status.category != "done"
    ]
    before = {issue.key: issue.updated for issue in unfinished}
    site.advance(days=7)
    site.close_sprint(active.id, move_to=following.id)
    site.start_sprint(following.id, site.clock.now, site.clock.now + timedelta(days=14))
    assert active.state == "closed" and active.complete == site.clock.now and following.state == "active"
    for issue in unfinished:
        change = issue.histories[-1].items[-1]
        assert (change.field, change.to) == ("Sprint", ", ".join(str(s.id) for s in issue.sprints))
        assert issue.sprints[-2:] == [active, following] and issue.updated > before[issue.key]


def test_releasing_overwrites_the_release_date_and_replanning_moves_it() -> None:
    site = demo_site()
    project, name, new_date = site.story.replan
    moved = replan(site)
    assert (moved.project.key, moved.name, moved.release_date) == (project, name, new_date)
    version = site.version_named("PAY", "2026.4")
    issues_before = {issue.key: issue.updated for issue in scope(site, version)}
    site.advance(days=2)
    site.release_version(version.id)
    assert version.released and version.release_date == local_day(site, site.clock.now)
    assert {
        issue.key: issue.updated for issue in scope(site, version)
    } == issues_before  # releasing touches no issue
    with served(site) as base, session("release") as jira:
        page = jira.get(f"{base}/rest/api/3/project/PAY/version", params={"status": "released"}).json()
        released = {v["name"]: v for v in page["values"]}
        assert released["2026.4"]["releaseDate"] == version.release_date.isoformat()
        assert released["2026.4"]["overdue"] is False
