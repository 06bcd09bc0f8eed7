"""GitLab's part of the bench (bench/trackers.py says what each tracker's module provides): how its
requests are counted, the fewest requests a sync needs, its item counts and the edits the bench
makes. The bare loop walks its declared streams (bench/bare_loop.py), so none is here.

Keys are "<project path> <stream>" with the connector's stream names, but for a group's iteration
list, "<group path> iterations" (one list per group, read under one of its projects).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import datetime
from urllib.parse import unquote

from bench.trackers import pages, sample
from emulators.gitlab.api import GitLabApi
from emulators.gitlab.model import GitLabModel, Issue, Project

PAGE = 100  # the connector's per_page default, GitLab's ceiling
EVENT_KINDS = ("state", "milestone", "label", "iteration")  # each a list per issue
PROJECT = r"^/projects/(?P<scope>[^/]+)"
PATHS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(PROJECT + r"/issues$"), "issues"),
    (re.compile(PROJECT + r"/issues/\d+/resource_(?P<kind>[a-z]+)_events$"), "events"),
    (re.compile(PROJECT + r"/milestones$"), "milestones"),
    (re.compile(PROJECT + r"/merge_requests$"), "merge_requests"),
    (re.compile(PROJECT + r"/merge_requests/\d+/closes_issues$"), "merge_request_closes_issues"),
    (re.compile(PROJECT + r"$"), "check"),
    (re.compile(r"^/groups/(?P<scope>[^/]+)/iterations$"), "iterations"),
]


def classify(path: str, query: dict[str, str], model: GitLabModel) -> str | None:
    """ "<scope> <stream>" of one request under the mount; None for what is not a project's list."""
    for pattern, stream in PATHS:
        if match := pattern.match(path):
            if stream == "events":
                stream = f"resource_{match['kind']}_events"
            elif stream == "issues" and query.get("order_by") == "id":
                stream = "census"  # the id census walks issues by id; the sync by updated_at
            return f"{unquote(match['scope'])} {stream}"
    return None


def full_read(model: GitLabModel, mount: GitLabApi) -> dict[str, int]:
    """Requests a first sync needs: every issue's four event lists (a free tier's iteration events
    one 403 for the project) and every merge request's closed issues, besides the lists' pages."""
    floors = _read(model, lambda project: list(project.issues.values()), changed_only=False)
    for project in model.projects.values():
        closes = len(project.merge_requests)
        if closes:
            floors[f"{project.full_path} merge_request_closes_issues"] = closes
    return floors


def changed_read(model: GitLabModel, mount: GitLabApi, since: datetime) -> dict[str, int]:
    """The issues and merge requests changed at or after `since` and their child lists; milestones
    and iterations one request each (their ETag's 304)."""
    floors = _read(
        model,
        lambda project: [issue for issue in project.issues.values() if issue.updated_at >= since],
        changed_only=True,
    )
    for project in model.projects.values():
        changed = sum(1 for item in project.merge_requests.values() if item.updated_at >= since)
        floors[f"{project.full_path} merge_requests"] = pages(changed, PAGE)
        if changed:
            floors[f"{project.full_path} merge_request_closes_issues"] = changed
    return floors


def _read(
    model: GitLabModel, issues_of: Callable[[Project], list[Issue]], changed_only: bool
) -> dict[str, int]:
    floors: dict[str, int] = {}
    for project in model.projects.values():
        scope, issues = project.full_path, issues_of(project)
        floors[f"{scope} issues"] = pages(len(issues), PAGE)
        for kind in EVENT_KINDS:
            requests = sum(pages(len(_events(issue, kind)), PAGE) for issue in issues)
            if kind == "iteration" and not project.group.premium:
                # A free tier answers 403, and the connector asks that of one issue per sync.
                requests = min(requests, 1)
            if requests:
                floors[f"{scope} resource_{kind}_events"] = requests
        milestones = len(project.visible_milestones())
        floors[f"{scope} milestones"] = 1 if changed_only else pages(milestones, PAGE)
        floors[f"{scope} merge_requests"] = pages(len(project.merge_requests), PAGE)
        group = project.group
        floors[f"{group.full_path} iterations"] = 1 if changed_only else pages(len(group.iterations), PAGE)
    return floors


def _events(issue: Issue, kind: str) -> list[object]:
    return getattr(issue, f"{kind}_events")


def item_counts(model: GitLabModel) -> dict[str, int]:
    issues = [issue for project in model.projects.values() for issue in project.issues.values()]
    return {
        "issues": len(issues),
        "merge_requests": sum(len(project.merge_requests) for project in model.projects.values()),
        "events": sum(len(_events(issue, kind)) for issue in issues for kind in EVENT_KINDS),
    }


def change(model: GitLabModel, fraction: float, seed: int) -> dict[str, int]:
    """Edit `fraction` of every project's issues through the model's own changes, each in turn
    closed or reopened, labelled, moved to another milestone or retitled; how many per project."""
    return {
        project.full_path: _change_project(project, fraction, random.Random(f"{seed}:{project.full_path}"))
        for _, project in sorted(model.projects.items())
    }


def _change_project(project: Project, fraction: float, rng: random.Random) -> int:
    milestones = project.visible_milestones()
    chosen = sample(sorted(project.issues), fraction, rng)
    for turn, iid in enumerate(chosen):
        issue = project.issues[iid]
        user = issue.assignees[0] if issue.assignees else issue.author
        match turn % 4:
            case 0 if issue.state == "opened":
                project.close_issue(iid, user)
            case 0:
                project.reopen_issue(iid, user)
            case 1:
                missing = [
                    name for name, label in sorted(project.labels.items()) if label not in issue.labels
                ]
                if missing:
                    project.add_labels(iid, user, [missing[0]])
                else:
                    project.remove_labels(iid, user, [issue.labels[0].name])
            case 2:
                project.set_milestone(
                    iid, user, next((m for m in milestones if m is not issue.milestone), None)
                )
            case _:
                project.update_issue(iid, title=f"{issue.title} (edited)")
    return len(chosen)
