"""The bare download loop: the same pages the sync reads, fetched and thrown away.

No retries, no records, no database: GitHub pages are followed through their `Link` header
without parsing the body, Jira's JSON is parsed only for what paging needs (nextPageToken,
isLast, board ids). Scopes are fetched by as many threads as the source's `concurrency`, as the
sync does, so the loop's time is what any client would need against the same server. Left out:
the few changelog fetches of truncated Jira issues (the sync's only pages the loop cannot know of
without parsing the issues).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from connectors.github import GitHubConnector, GitHubSource
from connectors.jira import JiraSource
from connectors.jira.fields import resolve_field_roles
from connectors.jira.milestones import AGILE
from connectors.jira.milestones import PAGE_SIZE as AGILE_PAGE
from connectors.jira.search import CLOUD_SEARCH, PAGE_SIZE, issue_fields, issues_jql
from pipelines import config as config_module


class Downloader:
    """A bare requests session; each job passes its own [requests, bytes] tally, so threads share
    no counter."""

    def __init__(
        self, base_url: str, headers: Mapping[str, str], auth: tuple[str, str] | None, pool: int
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers.update(headers)
        self.session.auth = auth
        self.session.mount("http://", HTTPAdapter(pool_connections=1, pool_maxsize=pool))

    def get(
        self,
        path_or_url: str,
        params: Mapping[str, Any] | None,
        tally: list[int],
        ok: tuple[int, ...] = (200,),
    ) -> requests.Response:
        url = path_or_url if path_or_url.startswith("http") else f"{self.base_url}{path_or_url}"
        response = self.session.get(url, params=params, timeout=60)
        tally[0] += 1
        tally[1] += len(response.content)
        if response.status_code not in ok:
            response.raise_for_status()
        return response


def run(config: str) -> dict[str, Any]:
    """Download every source's pages; `seconds` is the downloads' time, per source too."""
    sources: dict[str, dict[str, Any]] = {}
    for source in config_module.load(config).sources:
        started = time.perf_counter()
        tallies = DOWNLOADS[source.type](source)
        sources[source.name] = {
            "seconds": time.perf_counter() - started,
            "requests": sum(t[0] for t in tallies),
            "bytes": sum(t[1] for t in tallies),
        }
    return {
        "seconds": sum(s["seconds"] for s in sources.values()),
        "bytes": sum(s["bytes"] for s in sources.values()),
        "sources": sources,
    }


def _in_parallel(jobs: list[Callable[[list[int]], None]], threads: int) -> list[list[int]]:
    """Run each job with its own [requests, bytes] tally on `threads` threads; re-raise failures."""
    tallies = [[0, 0] for _ in jobs]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for future in [pool.submit(job, tally) for job, tally in zip(jobs, tallies, strict=True)]:
            future.result()
    return tallies


def _github(source: GitHubSource) -> list[list[int]]:
    token = os.environ[source.token_env]
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json"}
    client = Downloader(source.base_url, headers, None, source.concurrency)

    def scope_job(repo: str) -> Callable[[list[int]], None]:
        def job(tally: list[int]) -> None:
            for stream in GitHubConnector.streams:
                url: str | None = stream.path.format(scope=repo)
                params: dict[str, Any] | None = {**stream.params, "per_page": source.per_page}
                while url:
                    response = client.get(url, params, tally)
                    url, params = response.links.get("next", {}).get("url"), None

        return job

    return _in_parallel([scope_job(repo) for repo in source.repos], source.concurrency)


def _jira(source: JiraSource) -> list[list[int]]:
    auth = (os.environ[source.email_env or ""], os.environ[source.token_env])
    client = Downloader(source.base_url, {"Accept": "application/json"}, auth, source.concurrency)
    site = [0, 0]
    site_fields = client.get("/rest/api/3/field", None, site).json()
    client.get("/rest/api/3/status", None, site)
    fields = ",".join(issue_fields(resolve_field_roles(site_fields, dict(source.fields))))
    boards: dict[int, None] = {}  # a board shared by projects is read once, as the sync does

    def scope_job(project: str) -> Callable[[list[int]], None]:
        def job(tally: list[int]) -> None:
            search = {"jql": issues_jql(project, None, "updated ASC, id ASC"), "fields": fields}
            for _ in _token_pages(client, {**search, "expand": "changelog", "maxResults": PAGE_SIZE}, tally):
                pass
            for _ in _offset_pages(client, f"/rest/api/3/project/{project}/version", {}, tally):
                pass
            for page in _offset_pages(client, f"{AGILE}/board", {"projectKeyOrId": project}, tally):
                boards.update(dict.fromkeys(board["id"] for board in page))

        return job

    tallies = _in_parallel([scope_job(project) for project in source.projects], source.concurrency)

    def board_job(board: int) -> Callable[[list[int]], None]:
        def job(tally: list[int]) -> None:
            for _ in _offset_pages(client, f"{AGILE}/board/{board}/sprint", {}, tally, ok_400=True):
                pass

        return job

    return [site, *tallies, *_in_parallel([board_job(board) for board in boards], source.concurrency)]


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


# The trackers the bare loop can download; the bench measures the sources of these only
# (bench.suite.measured_config), so that the sync and the runs download what the loop does.
DOWNLOADS: dict[str, Callable[[Any], list[list[int]]]] = {"github": _github, "jira": _jira}
