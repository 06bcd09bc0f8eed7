"""The fewest requests a sync can make, computed from the emulated organisation itself.

A full read needs ⌈items / page size⌉ pages per scope and stream (at least one, to learn the
list is empty), plus the changelog pages of the Jira issues whose embedded changelog is truncated.
A read after nothing changed needs one request per scope and stream (a 304, or the one page that
shows nothing is new). After a change, each incremental stream needs the pages of what changed
since then; the streams read whole each run still need their one request.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime

from bench.request_kinds import key
from connectors.jira.changelog import CHANGELOG_PAGE
from connectors.jira.milestones import PAGE_SIZE as AGILE_PAGE
from connectors.jira.search import PAGE_SIZE as SEARCH_PAGE
from emulators.jira.model import Issue as JiraIssue
from emulators.org import Org

GITHUB_PAGE = 100  # the connector's per_page default, GitHub's ceiling


def pages(items: int, size: int) -> int:
    return max(1, math.ceil(items / size))


def full_read(org: Org, changelog_cap: int) -> dict[str, int]:
    """Requests a first sync needs, by request key (see bench/request_kinds.py)."""
    floors: dict[str, int] = {}
    for repo in org.github.repos.values():
        pulls = sum(1 for issue in repo.issues.values() if issue.pull is not None)
        floors[key("github", repo.full_name, "issues")] = pages(len(repo.issues), GITHUB_PAGE)
        floors[key("github", repo.full_name, "pull_requests")] = pages(pulls, GITHUB_PAGE)
        floors[key("github", repo.full_name, "milestones")] = pages(len(repo.milestones), GITHUB_PAGE)
        floors[key("github", repo.full_name, "issue_events")] = pages(len(repo.events), GITHUB_PAGE)
    site = org.jira
    if site is None:
        return floors
    floors[key("jira", "site", "fields")] = 1
    floors[key("jira", "site", "statuses")] = 1
    for project in site.projects.values():
        issues = [issue for issue in site.issues.values() if issue.project is project]
        floors[key("jira", project.key, "issues")] = pages(len(issues), SEARCH_PAGE)
        if changelog := _changelog_pages(issues, changelog_cap):
            floors[key("jira", project.key, "changelog")] = changelog
        versions = sum(1 for version in site.versions.values() if version.project is project)
        floors[key("jira", project.key, "versions")] = pages(versions, AGILE_PAGE)
        boards = sum(1 for board in site.boards.values() if project in board.projects)
        floors[key("jira", project.key, "boards")] = pages(boards, AGILE_PAGE)
    for board in site.boards.values():
        own = sum(1 for sprint in site.sprints.values() if sprint.board is board)
        floors[key("jira", f"board:{board.id}", "sprints")] = pages(own, AGILE_PAGE)
    return floors


def item_counts(org: Org) -> dict[str, int]:
    """Issues, pull requests and events on GitHub, issues and changelog histories on Jira."""
    repos = list(org.github.repos.values())
    issues = [issue for repo in repos for issue in repo.issues.values()]
    jira = list(org.jira.issues.values()) if org.jira is not None else []
    return {
        "github_issues": sum(1 for issue in issues if issue.pull is None),
        "github_pull_requests": sum(1 for issue in issues if issue.pull is not None),
        "github_events": sum(len(repo.events) for repo in repos),
        "jira_issues": len(jira),
        "jira_histories": sum(len(issue.histories) for issue in jira),
    }


def quiet_read(full: dict[str, int]) -> dict[str, int]:
    """One request per scope and stream; no changelog is fetched when no issue changed."""
    return {name: 1 for name in full if not name.endswith(" changelog")}


def changed_read(org: Org, since: datetime, changelog_cap: int, full: dict[str, int]) -> dict[str, int]:
    """Requests a sync needs after the changes made at or after `since`."""
    floors = quiet_read(full)
    for repo in org.github.repos.values():
        issues = sum(1 for issue in repo.issues.values() if issue.updated_at >= since)
        pulls = sum(1 for issue in repo.issues.values() if issue.pull and issue.updated_at >= since)
        events = sum(1 for event in repo.events if event.created_at >= since)
        floors[key("github", repo.full_name, "issues")] = pages(issues, GITHUB_PAGE)
        floors[key("github", repo.full_name, "pull_requests")] = pages(pulls, GITHUB_PAGE)
        floors[key("github", repo.full_name, "issue_events")] = pages(events, GITHUB_PAGE)
    site = org.jira
    if site is None:
        return floors
    for project in site.projects.values():
        changed = [i for i in site.issues.values() if i.project is project and i.updated >= since]
        floors[key("jira", project.key, "issues")] = pages(len(changed), SEARCH_PAGE)
        if changelog := _changelog_pages(changed, changelog_cap):
            floors[key("jira", project.key, "changelog")] = changelog
    return floors


def _changelog_pages(issues: Iterable[JiraIssue], cap: int) -> int:
    return sum(
        math.ceil(len(issue.histories) / CHANGELOG_PAGE) for issue in issues if len(issue.histories) > cap
    )
