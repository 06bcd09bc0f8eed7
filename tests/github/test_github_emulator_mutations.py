"""Changing the model between syncs: each change is stamped by the org clock and leaves its event."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import requests
from github_support import get_all

from emulators.generator import generate_org
from emulators.github.model import Repo
from emulators.org import Org
from emulators.server import EmulatorServer


@pytest.fixture
def org() -> Org:
    return generate_org(seed=11, scale=0.2)


@pytest.fixture
def web(org: Org) -> Repo:
    repo = org.github.repo("acme/web")
    assert repo is not None
    return repo


@pytest.fixture
def api_base(org: Org) -> Iterator[tuple[requests.Session, str]]:
    with EmulatorServer(org) as running:
        session = requests.Session()
        session.headers["Authorization"] = "Bearer mutations"
        yield session, f"{running.github_url}/repos/acme/web"


def stamp(org: Org) -> str:
    return org.clock.strftime("%Y-%m-%dT%H:%M:%SZ")


def events_of(session: requests.Session, base: str, number: int) -> list[dict[str, Any]]:
    events = get_all(session, f"{base}/issues/events")
    return sorted((event for event in events if event["issue"]["number"] == number), key=lambda e: e["id"])


def test_a_new_issue_records_its_labels_milestone_and_assignee(
    org: Org, web: Repo, api_base: tuple[requests.Session, str]
) -> None:
    session, base = api_base
    backlog = next(m for m in web.milestones.values() if m.title == "Backlog")
    before = session.get(f"{base}/milestones/{backlog.number}").json()["open_issues"]
    org.advance(hours=3)
    issue = web.create_issue(
        "Checkout fails for Zoë",
        "It fails.",
        labels=["bug", "customer"],
        milestone=backlog.number,
        assignee="li-na",
    )
    assert issue.number == max(web.issues)  # numbers keep counting after the generated ones

    item = session.get(f"{base}/issues/{issue.number}").json()
    assert item["created_at"] == item["updated_at"] == stamp(org)
    assert [label["name"] for label in item["labels"]] == ["bug", "customer"]
    assert item["milestone"]["open_issues"] == before + 1
    kinds = [(event["event"], event["created_at"]) for event in events_of(session, base, issue.number)]
    assert kinds == [
        ("labeled", stamp(org)),
        ("labeled", stamp(org)),
        ("milestoned", stamp(org)),
        ("assigned", stamp(org)),
    ]


def test_close_reopen_and_milestone_moves_bump_updated_at_and_leave_events(
    org: Org, web: Repo, api_base: tuple[requests.Session, str]
) -> None:
    session, base = api_base
    number = min(item.number for item in web.issues.values() if item.state == "open" and item.pull is None)
    target = next(m for m in web.milestones.values() if m.state == "open" and m.due_on is not None)
    moved_out = ["demilestoned"] if web.issues[number].milestone not in (None, target) else []
    before = stamp(org)

    org.advance(hours=1)
    web.set_milestone(number, target.number)
    org.advance(hours=1)
    web.close_issue(number, state_reason="not_planned")
    closed_at = stamp(org)
    item = session.get(f"{base}/issues/{number}").json()
    assert (item["state"], item["state_reason"], item["closed_at"], item["updated_at"]) == (
        "closed",
        "not_planned",
        closed_at,
        closed_at,
    )
    org.advance(hours=1)
    web.reopen_issue(number)
    org.advance(minutes=5)
    web.set_milestone(number, None)
    item = session.get(f"{base}/issues/{number}").json()
    assert (item["state"], item["state_reason"], item["closed_at"], item["milestone"]) == (
        "open",
        "reopened",
        None,
        None,
    )
    assert item["updated_at"] == stamp(org)

    recent = [event for event in events_of(session, base, number) if event["created_at"] > before]
    assert [event["event"] for event in recent] == [
        *moved_out,
        "milestoned",
        "closed",
        "reopened",
        "demilestoned",
    ]
    closed = next(event for event in recent if event["event"] == "closed")
    assert closed["state_reason"] == "not_planned" and closed["created_at"] == closed_at
    assert recent[-1]["milestone"] == {"title": target.title}


def test_since_returns_exactly_what_changed(
    org: Org, web: Repo, api_base: tuple[requests.Session, str]
) -> None:
    session, base = api_base
    org.advance(minutes=1)
    cursor = stamp(org)
    label_target = next(item for item in web.issues.values() if item.state == "open" and item.pull is None)
    web.add_labels(label_target.number, "documentation")
    new = web.create_issue("Document the API", labels=["documentation"])
    changed = get_all(session, f"{base}/issues", state="all", since=cursor, sort="updated", direction="asc")
    assert [item["number"] for item in changed] == sorted([label_target.number, new.number])


def test_milestone_due_date_and_closing(org: Org, web: Repo, api_base: tuple[requests.Session, str]) -> None:
    session, base = api_base
    milestone = next(m for m in web.milestones.values() if m.state == "open" and m.due_on is not None)
    org.advance(days=1)
    web.set_milestone_due(milestone.number, date(2027, 2, 1))
    shown = session.get(f"{base}/milestones/{milestone.number}").json()
    assert shown["due_on"].startswith("2027-02-01T") and shown["updated_at"] == stamp(org)
    org.advance(hours=2)
    web.close_milestone(milestone.number)
    shown = session.get(f"{base}/milestones/{milestone.number}").json()
    assert (shown["state"], shown["closed_at"]) == ("closed", stamp(org))
    assert milestone.number not in [m["number"] for m in get_all(session, f"{base}/milestones")]
    org.advance(hours=1)
    web.reopen_milestone(milestone.number)
    shown = session.get(f"{base}/milestones/{milestone.number}").json()
    assert (shown["state"], shown["closed_at"], shown["updated_at"]) == ("open", None, stamp(org))


def test_merging_a_pull_request_closes_the_issues_it_fixes(
    org: Org, web: Repo, api_base: tuple[requests.Session, str]
) -> None:
    session, base = api_base
    issue = web.create_issue("Cart loses items", labels=["bug"])
    org.advance(hours=4)
    pull = web.create_pull_request(
        "PAY-7: keep cart items", "fix/PAY-7-cart", f"Fixes #{issue.number}", user="jose-alvarez"
    )
    org.advance(hours=1)
    web.merge_pull_request(pull.number)
    merged = next(
        item for item in get_all(session, f"{base}/pulls", state="closed") if item["number"] == pull.number
    )
    assert merged["merged_at"] == stamp(org) and merged["head"]["ref"] == "fix/PAY-7-cart"
    closed = session.get(f"{base}/issues/{issue.number}").json()
    assert (closed["state"], closed["state_reason"], closed["closed_at"]) == (
        "closed",
        "completed",
        stamp(org),
    )
    closing = events_of(session, base, issue.number)[-1]
    assert closing["event"] == "closed" and closing["commit_id"] == merged["merge_commit_sha"]


def test_deleted_issues_vanish_with_their_events(
    org: Org, web: Repo, api_base: tuple[requests.Session, str]
) -> None:
    session, base = api_base
    victim = next(item for item in web.issues.values() if item.milestone is not None and item.pull is None)
    counts_before = web.milestone_counts()[victim.milestone.number]
    web.delete_issue(victim.number)
    assert session.get(f"{base}/issues/{victim.number}").status_code == 404
    assert victim.number not in {item["number"] for item in get_all(session, f"{base}/issues", state="all")}
    assert not events_of(session, base, victim.number)
    assert sum(web.milestone_counts()[victim.milestone.number]) == sum(counts_before) - 1


def test_the_clock_only_moves_forward(org: Org) -> None:
    start = org.clock
    assert org.advance(days=2) == start + timedelta(days=2)
    with pytest.raises(ValueError):
        org.advance(hours=-1)
    assert org.as_of == start
