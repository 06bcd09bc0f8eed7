"""Jira's part of the bench (bench/trackers.py says what each tracker's module provides), its bare
loop included: its issue search, field list and sprints are read through connector hooks, so the
declared streams alone do not say what a plain loop fetches.

The bare loop parses JSON only for what paging needs (nextPageToken, isLast, board ids). Left out:
the few changelog fetches of truncated issues (pages the loop cannot know of without parsing the
issues).
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from bench.bare_loop import Downloader, in_parallel
from bench.trackers import pages, sample
from connectors.base import Connector
from connectors.jira import JiraSource
from connectors.jira.changelog import CHANGELOG_PAGE
from connectors.jira.fields import resolve_field_roles
from connectors.jira.milestones import AGILE
from connectors.jira.milestones import PAGE_SIZE as AGILE_PAGE
from connectors.jira.search import CLOUD_SEARCH, issue_fields, issues_jql
from connectors.jira.search import PAGE_SIZE as SEARCH_PAGE
from emulators.jira.api import JiraApi
from emulators.jira.model import Issue, JiraSite

PATHS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^/rest/api/[23]/search(?:/jql)?$"), "search"),
    (re.compile(r"^/rest/api/[23]/issue/(?P<key>[^/]+)(?:/changelog)?$"), "changelog"),
    (re.compile(r"^/rest/api/[23]/field$"), "fields"),
    (re.compile(r"^/rest/api/[23]/status$"), "statuses"),
    (re.compile(r"^/rest/api/[23]/project/(?P<project>[^/]+)/version$"), "versions"),
    (re.compile(r"^/rest/api/[23]/project/(?P<project>[^/]+)$"), "check"),
    (re.compile(r"^/rest/agile/1\.0/board$"), "boards"),
    (re.compile(r"^/rest/agile/1\.0/board/(?P<board>\d+)/sprint$"), "sprints"),
]
JQL_PROJECT = re.compile(r"project\s*=\s*\"?([A-Z][A-Z0-9_]*)")


def classify(path: str, query: dict[str, str], model: JiraSite) -> str | None:
    """ "<scope> <stream>": a project's lists, "board:<id> sprints", "site fields" and "site statuses"."""
    for pattern, stream in PATHS:
        if match := pattern.match(path):
            return _key(stream, match.groupdict(), query)
    return None


def _key(stream: str, groups: dict[str, str], query: dict[str, str]) -> str:
    if stream == "search":
        found = JQL_PROJECT.search(query.get("jql", ""))
        project = found.group(1) if found else "?"
        return f"{project} {'census' if query.get('fields') == 'id' else 'issues'}"
    if stream == "changelog":
        return f"{groups['key'].rpartition('-')[0]} changelog"
    if stream in ("fields", "statuses"):
        return f"site {stream}"
    if stream == "boards":
        return f"{query.get('projectKeyOrId', '?')} boards"
    if stream == "sprints":
        return f"board:{groups['board']} sprints"
    return f"{groups['project']} {stream}"


def full_read(model: JiraSite, mount: JiraApi) -> dict[str, int]:
    """Requests a first sync needs, the changelog pages of issues whose embedded one is cut included."""
    floors = {"site fields": 1, "site statuses": 1}
    for project in model.projects.values():
        issues = [issue for issue in model.issues.values() if issue.project is project]
        floors[f"{project.key} issues"] = pages(len(issues), SEARCH_PAGE)
        if changelog := _changelog_pages(issues, mount.changelog_cap):
            floors[f"{project.key} changelog"] = changelog
        versions = sum(1 for version in model.versions.values() if version.project is project)
        floors[f"{project.key} versions"] = pages(versions, AGILE_PAGE)
        boards = sum(1 for board in model.boards.values() if project in board.projects)
        floors[f"{project.key} boards"] = pages(boards, AGILE_PAGE)
    for board in model.boards.values():
        own = sum(1 for sprint in model.sprints.values() if sprint.board is board)
        floors[f"board:{board.id} sprints"] = pages(own, AGILE_PAGE)
    return floors


def changed_read(model: JiraSite, mount: JiraApi, since: datetime) -> dict[str, int]:
    """The issues changed since, their cut changelogs, and one request per list read whole."""
    floors = {name: 1 for name in full_read(model, mount) if not name.endswith(" changelog")}
    for project in model.projects.values():
        changed = [i for i in model.issues.values() if i.project is project and i.updated >= since]
        floors[f"{project.key} issues"] = pages(len(changed), SEARCH_PAGE)
        if changelog := _changelog_pages(changed, mount.changelog_cap):
            floors[f"{project.key} changelog"] = changelog
    return floors


def _changelog_pages(issues: Iterable[Issue], cap: int) -> int:
    return sum(
        math.ceil(len(issue.histories) / CHANGELOG_PAGE) for issue in issues if len(issue.histories) > cap
    )


def item_counts(model: JiraSite) -> dict[str, int]:
    issues = list(model.issues.values())
    return {"issues": len(issues), "histories": sum(len(issue.histories) for issue in issues)}


def change(model: JiraSite, fraction: float, seed: int) -> dict[str, int]:
    """Edit `fraction` of every project's issues, each in turn transitioned, labelled, given another
    priority or a new summary; how many per project."""
    return {
        project: _change_project(model, project, fraction, random.Random(f"{seed}:{project}"))
        for project in sorted(model.projects)
    }


def _change_project(site: JiraSite, project_key: str, fraction: float, rng: random.Random) -> int:
    project = site.project(project_key)
    keys = sorted(issue.key for issue in site.issues.values() if issue.project is project)
    statuses = list(project.workflow)
    priorities = sorted(site.priorities)
    chosen = sample(keys, fraction, rng)
    for turn, key in enumerate(chosen):
        issue = site.issue(key)
        match turn % 4:
            case 0:
                following = statuses[(statuses.index(issue.status.name) + 1) % len(statuses)]
                site.transition(key, following)
            case 1:
                labels = [label for label in issue.labels if label != "bench"]
                site.update_issue(key, labels=labels if "bench" in issue.labels else [*labels, "bench"])
            case 2:
                site.update_issue(key, priority=next(p for p in priorities if p != issue.priority.name))
            case _:
                site.update_issue(key, summary=f"{issue.summary} (edited)")
    return len(chosen)


def bare_loop(source: JiraSource, connector: Connector) -> list[list[int]]:
    """The site's lists once, each project's issues, versions and boards, then every board's sprints
    (a board shared by projects once, as the sync reads them)."""
    http = connector.client  # its credentials: Basic on Cloud, a bearer token on Data Center
    client = Downloader(http.base_url, dict(http.session.headers), http.auth, source.concurrency)
    site = [0, 0]
    site_fields = client.get("/rest/api/3/field", None, site).json()
    client.get("/rest/api/3/status", None, site)
    fields = ",".join(issue_fields(resolve_field_roles(site_fields, dict(source.fields))))
    boards: dict[int, None] = {}

    def scope_job(project: str) -> Callable[[list[int]], None]:
        def job(tally: list[int]) -> None:
            search = {"jql": issues_jql(project, None, "updated ASC, id ASC"), "fields": fields}
            for _ in _token_pages(
                client, {**search, "expand": "changelog", "maxResults": SEARCH_PAGE}, tally
            ):
                pass
            for _ in _offset_pages(client, f"/rest/api/3/project/{project}/version", {}, tally):
                pass
            for page in _offset_pages(client, f"{AGILE}/board", {"projectKeyOrId": project}, tally):
                boards.update(dict.fromkeys(board["id"] for board in page))

        return job

    tallies = in_parallel([scope_job(project) for project in source.projects], source.concurrency)

    def board_job(board: int) -> Callable[[list[int]], None]:
        def job(tally: list[int]) -> None:
            for _ in _offset_pages(client, f"{AGILE}/board/{board}/sprint", {}, tally, ok_400=True):
                pass

        return job

    return [site, *tallies, *in_parallel([board_job(board) for board in boards], source.concurrency)]


def _token_pages(client: Downloader, params: dict[str, Any], tally: list[int]) -> Iterator[Any]:
    token = None
    while True:
        body = client.get(
            CLOUD_SEARCH, {**params, **({"nextPageToken": token} if token else {})}, tally
        ).json()
        yield body
        token = body.get("nextPageToken")
        if body.get("isLast") or not token:
            return


def _offset_pages(
    client: Downloader, path: str, params: dict[str, Any], tally: list[int], ok_400: bool = False
) -> Iterator[list[Any]]:
    start = 0
    while True:
        query = {**params, "startAt": start, "maxResults": AGILE_PAGE}
        response = client.get(path, query, tally, (200, 400) if ok_400 else (200,))
        if response.status_code == 400:  # a kanban board has no sprints
            return
        body = response.json()
        values = body.get("values") or []
        yield values
        start += len(values)
        if not values or body.get("isLast"):
            return
