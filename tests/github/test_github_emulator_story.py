"""The generated organisation: deterministic, consistent, and telling the whole milestone story."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import timedelta
from typing import Any

import pytest
import requests
from github_support import get_all

from emulators.generator import DEMO_AS_OF, generate_org
from emulators.org import Org
from emulators.server import EmulatorServer

REPOS = ("acme/web", "acme/api", "acme/mobile")
AS_OF = DEMO_AS_OF.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def repos(server: EmulatorServer) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Issues (with pull requests), milestones and events of every repo, read over HTTP."""
    session = requests.Session()
    session.headers["Authorization"] = "Bearer story"
    read = {}
    for name in REPOS:
        base = f"{server.github_url}/repos/{name}"
        read[name] = {
            "issues": get_all(session, f"{base}/issues", state="all"),
            "milestones": get_all(session, f"{base}/milestones", state="all"),
            "events": get_all(session, f"{base}/issues/events"),
            "pulls": get_all(session, f"{base}/pulls", state="all"),
        }
    return read


def test_scale_one_has_about_150_issues_and_60_pull_requests_per_repo(repos: dict) -> None:
    for name in REPOS:
        issues = [item for item in repos[name]["issues"] if "pull_request" not in item]
        pulls = repos[name]["pulls"]
        assert 130 <= len(issues) <= 180, name
        assert 45 <= len(pulls) <= 80, name
        assert len(issues) + len(pulls) == len(repos[name]["issues"])


@pytest.mark.parametrize("name", REPOS)
def test_every_milestone_status_is_in_the_story(repos: dict, name: str) -> None:
    milestones = repos[name]["milestones"]
    items = [item for item in repos[name]["issues"] if "pull_request" not in item]
    by_milestone = defaultdict(list)
    for item in items:
        if item["milestone"]:
            by_milestone[item["milestone"]["number"]].append(item)

    def closed_on_time(m: dict) -> bool:
        done = [item["closed_at"] for item in by_milestone[m["number"]]]
        return m["closed_at"] <= m["due_on"] and all(when and when <= m["due_on"] for when in done)

    closed = [m for m in milestones if m["state"] == "closed"]
    opened = [m for m in milestones if m["state"] == "open"]
    assert any(m["due_on"] and closed_on_time(m) for m in closed), "closed on time"
    assert any(m["due_on"] and m["closed_at"] > m["due_on"] for m in closed), "closed late"
    assert any(m["due_on"] is None for m in closed), "released without a due date"
    assert any(m["due_on"] and m["due_on"] < AS_OF and m["open_issues"] for m in opened), "open and overdue"
    assert any(m["due_on"] is None for m in opened), "open without a due date"
    future = [m for m in opened if m["due_on"] and m["due_on"] > AS_OF]
    assert len(future) == 2 and max(m["open_issues"] for m in future) > 2 * min(
        m["open_issues"] for m in future
    )
    assert 6 <= len(milestones) <= 8


@pytest.mark.parametrize("name", REPOS)
def test_issue_histories_hold_every_kind_of_change(repos: dict, name: str) -> None:
    issues, events = repos[name]["issues"], repos[name]["events"]
    reasons = {item["state_reason"] for item in issues if "pull_request" not in item}
    assert {"completed", "not_planned", "duplicate", "reopened"} <= reasons
    kinds = {event["event"] for event in events}
    assert {
        "closed",
        "reopened",
        "milestoned",
        "demilestoned",
        "labeled",
        "unlabeled",
        "assigned",
        "merged",
    } <= kinds
    reopened_then_closed = {e["issue"]["number"] for e in events if e["event"] == "reopened"} & {
        item["number"] for item in issues if item["state"] == "closed"
    }
    assert reopened_then_closed
    labels = {label["name"] for item in issues for label in item["labels"]}
    assert labels == {"bug", "customer", "customer-reported", "enhancement", "in progress", "documentation"}
    open_customer_bugs = [
        item
        for item in issues
        if item["state"] == "open" and {"bug", "customer-reported"} <= label_names(item)
    ]
    assert any(item["author_association"] == "NONE" for item in open_customer_bugs), "filed by the customer"


@pytest.mark.parametrize("name", REPOS)
def test_scope_crept_into_milestones_after_they_started(repos: dict, name: str) -> None:
    started = {m["title"]: m["created_at"] for m in repos[name]["milestones"]}
    late_joins = [
        event
        for event in repos[name]["events"]
        if event["event"] == "milestoned"
        and event["created_at"] > shift(started[event["milestone"]["title"]], days=1)
    ]
    assert len(late_joins) >= 10


@pytest.mark.parametrize("name", REPOS)
def test_pull_requests_close_issues_and_name_jira_keys(repos: dict, name: str) -> None:
    pulls = repos[name]["pulls"]
    numbers = {item["number"]: item for item in repos[name]["issues"]}
    fixes = [
        (pull, int(match)) for pull in pulls for match in re.findall(r"Fixes #(\d+)", pull["body"] or "")
    ]
    assert len(fixes) >= 20
    for pull, number in fixes:
        if pull["merged_at"]:  # closed by the merge (and, if reopened since, closed again later)
            assert numbers[number]["state"] == "closed" and numbers[number]["closed_at"] >= pull["merged_at"]
    jira = [pull for pull in pulls if re.search(r"\b(WEB|PAY)-\d+\b", pull["title"] + pull["head"]["ref"])]
    assert jira and all(re.search(r"\b(WEB|PAY)-\d+\b", pull["body"]) for pull in jira)
    assert any(pull["draft"] for pull in pulls) and any(not pull["merged_at"] for pull in pulls)
    assert any(pull["user"]["type"] == "Bot" for pull in pulls)


@pytest.mark.parametrize("name", REPOS)
def test_fields_events_and_counts_agree(repos: dict, name: str) -> None:
    """Replaying the events rebuilds every issue's state, milestone, labels and assignees."""
    issues, events = repos[name]["issues"], repos[name]["events"]
    history: dict[int, list[dict]] = defaultdict(list)
    for event in sorted(events, key=lambda e: e["id"]):
        history[event["issue"]["number"]].append(event)
    for item in issues:
        state, closed_at, reason, milestone = "open", None, None, None
        labels: set[str] = set()
        assignees: set[str] = set()
        for event in history[item["number"]]:
            assert event["created_at"] >= item["created_at"]
            kind = event["event"]
            if kind == "closed":
                state, closed_at, reason = "closed", event["created_at"], event["state_reason"]
            elif kind == "reopened":
                state, closed_at, reason = "open", None, "reopened"
            elif kind in ("milestoned", "demilestoned"):
                milestone = event["milestone"]["title"] if kind == "milestoned" else None
            elif kind in ("labeled", "unlabeled"):
                (labels.add if kind == "labeled" else labels.discard)(event["label"]["name"])
            elif kind in ("assigned", "unassigned"):
                (assignees.add if kind == "assigned" else assignees.discard)(event["assignee"]["login"])
        assert state == item["state"] and closed_at == item["closed_at"], item["number"]
        if "pull_request" not in item:
            assert reason == item["state_reason"], item["number"]
        assert milestone == (item["milestone"] and item["milestone"]["title"])
        assert labels == label_names(item)
        assert assignees == {user["login"] for user in item["assignees"]}
        last_change = max([item["created_at"], *(event["created_at"] for event in history[item["number"]])])
        assert item["updated_at"] == last_change
        assert item["updated_at"] <= AS_OF
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for item in issues:
        if item["milestone"]:
            counts[item["milestone"]["number"]][item["state"] == "closed"] += 1
    for milestone in repos[name]["milestones"]:
        assert [milestone["open_issues"], milestone["closed_issues"]] == counts[milestone["number"]]


def test_same_seed_gives_the_same_bytes_on_any_port() -> None:
    pages = []
    for seed in (7, 7, 8):
        with EmulatorServer(generate_org(seed=seed, scale=0.5)) as running:
            session = requests.Session()
            session.headers["Authorization"] = "Bearer determinism"
            issues = session.get(f"{running.github_url}/repos/acme/web/issues", params={"state": "all"})
            events = session.get(f"{running.github_url}/repos/acme/mobile/issues/events", params={"page": 2})
            pages.append((issues.content, events.content, issues.headers["ETag"]))
    assert pages[0] == pages[1]
    assert pages[0][0] != pages[2][0]


def test_generation_is_linear_in_scale() -> None:
    small, large = generate_org(scale=0.2), generate_org(scale=2.0)

    def issue_count(org: Org) -> int:
        return sum(len(repo.issues) for repo in org.github.repos.values())

    assert 8 <= issue_count(large) / issue_count(small) <= 11
    assert small.clock == large.clock == DEMO_AS_OF


def label_names(item: dict[str, Any]) -> set[str]:
    return {label["name"] for label in item["labels"]}


def shift(stamp: str, **delta: float) -> str:
    from datetime import datetime

    moved = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ") + timedelta(**delta)
    return moved.strftime("%Y-%m-%dT%H:%M:%SZ")
