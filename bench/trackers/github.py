"""GitHub's part of the bench (bench/trackers.py says what each tracker's module provides): how its
requests are counted, the fewest requests a sync needs, its item counts and the edits the bench
makes. The bare loop walks its declared streams (bench/bare_loop.py), so none is here.
"""

from __future__ import annotations

import random
import re
from datetime import datetime
from typing import Any

from bench.trackers import pages, sample
from emulators.github.model import GitHubModel, Repo

PAGE = 100  # the connector's per_page default, GitHub's ceiling
STREAMS = {
    "issues": "issues",
    "pulls": "pull_requests",
    "milestones": "milestones",
    "issues/events": "issue_events",
}
PATH = re.compile(r"^/(?:repos/(?P<name>[^/]+/[^/]+)|repositories/(?P<id>\d+))/(?P<rest>.+?)/?$")


def classify(path: str, query: dict[str, str], model: GitHubModel) -> str | None:
    """ "<repo> <stream>" of one request under the mount; None for what is not a repo's list."""
    match = PATH.match(path)
    if match is None:
        return None
    name = match["name"]
    if name is None:
        repo = model.repo_by_id(int(match["id"]))
        name = repo.full_name if repo else f"repository:{match['id']}"
    stream = STREAMS.get(match["rest"])
    if stream is None:
        return f"{name} {match['rest']}"
    # The id census reads /issues too, in GitHub's default order (the sync asks for sort=updated).
    if stream == "issues" and query.get("sort") != "updated":
        stream = "census"
    return f"{name} {stream}"


def full_read(model: GitHubModel, mount: Any) -> dict[str, int]:
    """Requests a first sync needs, by "<repo> <stream>"."""
    floors: dict[str, int] = {}
    for repo in model.repos.values():
        pulls = sum(1 for issue in repo.issues.values() if issue.pull is not None)
        floors[f"{repo.full_name} issues"] = pages(len(repo.issues), PAGE)
        floors[f"{repo.full_name} pull_requests"] = pages(pulls, PAGE)
        floors[f"{repo.full_name} milestones"] = pages(len(repo.milestones), PAGE)
        floors[f"{repo.full_name} issue_events"] = pages(len(repo.events), PAGE)
    return floors


def changed_read(model: GitHubModel, mount: Any, since: datetime) -> dict[str, int]:
    """Requests a sync needs after the changes made at or after `since` (milestones: one 304)."""
    floors: dict[str, int] = {}
    for repo in model.repos.values():
        issues = sum(1 for issue in repo.issues.values() if issue.updated_at >= since)
        pulls = sum(1 for issue in repo.issues.values() if issue.pull and issue.updated_at >= since)
        events = sum(1 for event in repo.events if event.created_at >= since)
        floors[f"{repo.full_name} issues"] = pages(issues, PAGE)
        floors[f"{repo.full_name} pull_requests"] = pages(pulls, PAGE)
        floors[f"{repo.full_name} milestones"] = 1
        floors[f"{repo.full_name} issue_events"] = pages(events, PAGE)
    return floors


def item_counts(model: GitHubModel) -> dict[str, int]:
    issues = [issue for repo in model.repos.values() for issue in repo.issues.values()]
    return {
        "issues": sum(1 for issue in issues if issue.pull is None),
        "pull_requests": sum(1 for issue in issues if issue.pull is not None),
        "events": sum(len(repo.events) for repo in model.repos.values()),
    }


def change(model: GitHubModel, fraction: float, seed: int) -> dict[str, int]:
    """Edit `fraction` of every repo's issues (pull requests left alone), each in turn closed or
    reopened, labelled, moved to another milestone or retitled; how many per repo."""
    return {
        repo.full_name: _change_repo(repo, fraction, random.Random(f"{seed}:{repo.full_name}"))
        for repo in model.repos.values()
    }


def _change_repo(repo: Repo, fraction: float, rng: random.Random) -> int:
    numbers = sorted(number for number, issue in repo.issues.items() if issue.pull is None)
    milestones = sorted(repo.milestones)
    chosen = sample(numbers, fraction, rng)
    for turn, number in enumerate(chosen):
        issue = repo.issues[number]
        match turn % 4:
            case 0 if issue.state == "open":
                repo.close_issue(number)
            case 0:
                repo.reopen_issue(number)
            case 1:
                missing = [name for name, label in repo.labels.items() if label not in issue.labels]
                if missing:
                    repo.add_labels(number, missing[0])
                else:
                    repo.remove_label(number, issue.labels[0].name)
            case 2:
                current = issue.milestone.number if issue.milestone else None
                repo.set_milestone(number, next((m for m in milestones if m != current), None))
            case _:
                repo.update_issue(number, title=f"{issue.title} (edited)")
    return len(chosen)
