"""The GitHub emulator answers over HTTP with habits of real repositories the marts must survive:
milestones opened empty and planned days later, issues closed, reopened and closed again."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

import requests
from github_support import get_all

from emulators.server import EmulatorServer

REPOS = ("acme/web", "acme/api", "acme/mobile")


def when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def test_milestones_are_created_empty_and_planned_days_later(
    server: EmulatorServer, gh: requests.Session
) -> None:
    late_plans: dict[str, list[str]] = {}
    for repo in REPOS:
        milestones = get_all(gh, f"{server.github_url}/repos/{repo}/milestones", state="all")
        events = get_all(gh, f"{server.github_url}/repos/{repo}/issues/events")
        first_joined: dict[str, datetime] = {}
        for event in events:
            if event["event"] == "milestoned":
                title, at = event["milestone"]["title"], when(event["created_at"])
                first_joined[title] = min(first_joined.get(title, at), at)
        late_plans[repo] = sorted(
            milestone["title"].split(" ")[0]
            for milestone in milestones
            if first_joined[milestone["title"]] - when(milestone["created_at"]) > timedelta(days=1)
        )
    # vM.2, vM.3 and vM+1.0 wait one, two and three days (plus up to ten hours) for their plan.
    assert late_plans == {
        "acme/web": ["v3.2", "v3.3", "v4.0"],
        "acme/api": ["v1.2", "v1.3", "v2.0"],
        "acme/mobile": ["v5.2", "v5.3", "v6.0"],
    }


def test_issues_are_closed_reopened_and_closed_again(server: EmulatorServer, gh: requests.Session) -> None:
    for repo in REPOS:
        moves: dict[int, list[tuple[str, int, str]]] = defaultdict(list)
        for event in get_all(gh, f"{server.github_url}/repos/{repo}/issues/events"):
            if event["event"] in ("closed", "reopened") and "pull_request" not in event["issue"]:
                moves[event["issue"]["number"]].append((event["created_at"], event["id"], event["event"]))
        again = [
            number
            for number, happened in moves.items()
            if [kind for *_, kind in sorted(happened)][:3] == ["closed", "reopened", "closed"]
        ]
        assert again, repo
        issue = gh.get(f"{server.github_url}/repos/{repo}/issues/{again[0]}").json()
        last_close = max(at for at, _, kind in moves[again[0]] if kind == "closed")
        assert issue["state"] == "closed" and issue["closed_at"] == last_close
