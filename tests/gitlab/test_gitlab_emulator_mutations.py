"""Changes made through the GitLab model after generation, as an incremental sync then reads them."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from email.message import Message

import pytest
import requests
from gitlab_emulator_support import generate, get_all, serve, session

from emulators.exchange import Request
from emulators.gitlab.api import GitLabApi
from emulators.gitlab.faults import delete, edit, transfer
from emulators.gitlab.model import GitLabModel, Project
from emulators.org import Org

PATH = "acme-cloud%2Fbilling"


@pytest.fixture
def instance() -> Iterator[tuple[GitLabModel, Org, Project, str, requests.Session]]:
    model, org = generate(scale=0.2)
    project = model.project("acme-cloud/billing")
    assert project is not None
    with serve(model, org) as base:
        yield model, org, project, base, session()


def test_a_closed_issue_is_all_an_incremental_read_returns(
    instance: tuple[GitLabModel, Org, Project, str, requests.Session],
) -> None:
    model, org, project, base, client = instance
    since = org.advance(hours=1)
    target = next(issue for issue in project.issues.values() if issue.state == "opened")
    user = model.users["li-na"]
    org.advance(minutes=3)
    project.close_issue(target.iid, user)
    changed = get_all(
        client, f"{base}/projects/{PATH}/issues", updated_after=since.isoformat(), order_by="updated_at"
    )
    assert [issue["iid"] for issue in changed] == [target.iid]
    assert changed[0]["state"] == "closed"
    assert changed[0]["closed_at"] == (since + timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert changed[0]["closed_by"]["name"] == "李娜"
    states = get_all(client, f"{base}/projects/{PATH}/issues/{target.iid}/resource_state_events")
    assert states[-1]["state"] == "closed" and states[-1]["resource_id"] == target.id


def test_moving_between_milestones_records_the_add_and_clearing_records_the_remove(
    instance: tuple[GitLabModel, Org, Project, str, requests.Session],
) -> None:
    model, org, project, base, client = instance
    user = model.users["wang-fang"]
    first, second = project.milestones[0], project.group.milestones[1]
    issue = project.create_issue(user, "Plan me")
    org.advance(minutes=1)
    project.set_milestone(issue.iid, user, first)
    org.advance(minutes=1)
    project.set_milestone(issue.iid, user, second)
    org.advance(minutes=1)
    project.set_milestone(issue.iid, user, None)
    trail = get_all(client, f"{base}/projects/{PATH}/issues/{issue.iid}/resource_milestone_events")
    assert [(event["action"], event["milestone"]["title"]) for event in trail] == [
        ("add", "2026.10"),
        ("add", "Q4 launch"),
        ("remove", "Q4 launch"),
    ]
    assert "group_id" in trail[1]["milestone"] and "project_id" in trail[0]["milestone"]


def test_iteration_events_record_the_add_and_clearing_records_the_remove(
    instance: tuple[GitLabModel, Org, Project, str, requests.Session],
) -> None:
    model, org, project, base, client = instance
    user = model.users["priya-raman"]
    first, second = project.group.iterations[-2:]
    issue = project.create_issue(user, "Sprint me")
    for iteration in (first, second, None):
        org.advance(minutes=1)
        project.set_iteration(issue.iid, user, iteration)
    trail = get_all(client, f"{base}/projects/{PATH}/issues/{issue.iid}/resource_iteration_events")
    assert [(event["action"], event["iteration"]["id"]) for event in trail] == [
        ("add", first.id),
        ("add", second.id),
        ("remove", second.id),
    ]
    assert client.get(f"{base}/projects/{PATH}/issues/{issue.iid}").json()["iteration"] is None


def test_a_scoped_label_replaces_its_scope_with_a_remove_event(
    instance: tuple[GitLabModel, Org, Project, str, requests.Session],
) -> None:
    model, org, project, base, client = instance
    user = model.users["kenji-sato"]
    issue = project.create_issue(user, "Scoped", labels=["bug", "workflow::todo"])
    org.advance(minutes=1)
    project.add_labels(issue.iid, user, ["workflow::in review", "customer"])
    served = client.get(f"{base}/projects/{PATH}/issues/{issue.iid}").json()
    assert served["labels"] == ["bug", "workflow::in review", "customer"]
    trail = get_all(client, f"{base}/projects/{PATH}/issues/{issue.iid}/resource_label_events")
    assert [(event["action"], event["label"]["name"]) for event in trail] == [
        ("add", "bug"),
        ("add", "workflow::todo"),
        ("remove", "workflow::todo"),
        ("add", "workflow::in review"),
        ("add", "customer"),
    ]


def test_merging_closes_every_issue_the_description_closes(
    instance: tuple[GitLabModel, Org, Project, str, requests.Session],
) -> None:
    model, org, project, base, client = instance
    user = model.users["jose-alvarez"]
    one, two, other = (project.create_issue(user, title) for title in ("One", "Two", "Mentioned"))
    description = f"Fixes #{one.iid}, closes #{two.iid}; see #{other.iid} and #99999"
    merge_request = project.create_merge_request(user, "Fix both", description, "fix-both", "a" * 40)
    closes = get_all(client, f"{base}/projects/{PATH}/merge_requests/{merge_request.iid}/closes_issues")
    assert [issue["iid"] for issue in closes] == [one.iid, two.iid]
    org.advance(minutes=7)
    project.merge(merge_request.iid, user, "b" * 40)
    served = {
        issue["iid"]: issue
        for issue in get_all(client, f"{base}/projects/{PATH}/issues", iids=[one.iid, two.iid, other.iid])
    }
    assert [served[iid]["state"] for iid in (one.iid, two.iid, other.iid)] == ["closed", "closed", "opened"]
    assert served[one.iid]["closed_by"]["username"] == "jose-alvarez"
    merged = client.get(f"{base}/projects/{PATH}/merge_requests/{merge_request.iid}").json()
    assert merged["state"] == "merged" and merged["merged_at"] == served[one.iid]["closed_at"]
    assert merged["merge_commit_sha"] == "b" * 40


def test_a_moved_issue_is_closed_here_and_new_there(
    instance: tuple[GitLabModel, Org, Project, str, requests.Session],
) -> None:
    model, org, project, base, client = instance
    target = model.project("acme-oss/sdk-python")
    assert target is not None
    issue = next(item for item in project.issues.values() if item.state == "opened")
    org.advance(minutes=2)
    moved = project.move_issue(issue.iid, target, model.users["li-na"])
    old = client.get(f"{base}/projects/{PATH}/issues/{issue.iid}").json()
    new = client.get(f"{base}/projects/acme-oss%2Fsdk-python/issues/{moved.iid}").json()
    assert old["state"] == "closed" and old["moved_to_id"] == new["id"] != old["id"]
    assert new["title"] == old["title"] and new["state"] == "opened"
    assert "weight" not in new  # the free tier shows no weight


def test_a_deleted_issue_is_gone(instance: tuple[GitLabModel, Org, Project, str, requests.Session]) -> None:
    _, _, project, base, client = instance
    iid = max(project.issues)
    project.delete_issue(iid)
    assert client.get(f"{base}/projects/{PATH}/issues/{iid}").json() == {"message": "404 Issue Not Found"}
    assert iid not in {issue["iid"] for issue in get_all(client, f"{base}/projects/{PATH}/issues")}


def test_the_move_fault_renames_an_issue_the_walk_already_passed() -> None:
    model, org = generate(scale=0.2)
    api = GitLabApi(model)
    headers = Message()
    headers["PRIVATE-TOKEN"] = "glpat-fault"

    def listing(page: int) -> Request:
        query = f"order_by=updated_at&sort=asc&per_page=5&page={page}"
        return Request("GET", f"/projects/{PATH}/issues", query, headers, b"", "http://emulator/gitlab")

    project = model.project("acme-cloud/billing")
    assert project is not None
    passed = [
        issue.iid for issue in sorted(project.issues.values(), key=lambda issue: (issue.updated_at, issue.id))
    ][:5]
    assert not api.edit_served_issue(listing(1), lambda items: items[0], lambda title: f"{title} [edit 1]")
    org.advance(minutes=1)
    assert api.edit_served_issue(listing(2), lambda items: items[0], lambda title: f"{title} [edit 1]")
    edited = min(passed)
    assert project.issues[edited].title.endswith("[edit 1]")
    assert project.issues[edited].updated_at == org.clock


def test_churn_edits_deletes_and_moves_issues_the_same_way_for_a_seed() -> None:
    def churned(seed: int) -> list[tuple[str, int, str]]:
        model, _ = generate(scale=0.1)
        rng = random.Random(seed)
        assert edit(model, rng, lambda title: f"{title} [edit 1]")
        assert delete(model, rng, str) and transfer(model, rng, str)
        return sorted(
            (project.full_path, issue.iid, issue.title)
            for project in model.projects.values()
            for issue in project.issues.values()
            if issue.title.endswith("[edit 1]") or issue.moved_to is not None
        )

    first = churned(3)
    assert first == churned(3)
    assert len(first) == 2  # the edited issue and the moved one (the deleted one is gone)
