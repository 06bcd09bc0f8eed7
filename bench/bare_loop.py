"""The bare download loop: the same pages the sync reads, fetched and thrown away.

No retries, no records, no database. Each source's declared streams (its connector's `streams`,
connectors/streams.py) are walked with plain requests: a list through its `Link` header without
parsing the body, unless a child stream needs its records' keys (GitLab's issues, for their event
lists); a child list once per parent, as a first sync reads it. A stream's `first_reader` is taken
to read its declared list (GitHub's does). A tracker whose streams read through other hooks
(`reader`) brings its own loop, `bare_loop` in its bench module (bench/trackers.py; Jira's).
Scopes are fetched by as many threads as the source's `concurrency`, as the sync does, so the
loop's time is what any client would need against the same server.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from bench import trackers
from connectors import TRACKERS
from connectors.base import Connector, Stream
from connectors.paging import Link, Single
from connectors.source_config import SourceBase
from pipelines import config as config_module
from pipelines.ingest import make_connector

WALKED = (Link, Single)  # the paging styles the declared walk follows


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
        connector = make_connector(source)
        loop = getattr(trackers.module(source.type), "bare_loop", walk_declared)
        started = time.perf_counter()
        tallies = loop(source, connector)
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


def downloadable(kind: str) -> bool:
    """Whether the loop can download the tracker of type `kind`: its own loop, or streams it can walk.

    The bench measures these sources only (bench.suite.measured_config), so that the sync and the
    runs download what the loop does.
    """
    if hasattr(trackers.module(kind), "bare_loop"):
        return True
    return all(
        not stream.reader and isinstance(stream.paging, WALKED) for stream in TRACKERS[kind].connector.streams
    )


def in_parallel(jobs: list[Callable[[list[int]], None]], threads: int) -> list[list[int]]:
    """Run each job with its own [requests, bytes] tally on `threads` threads; re-raise failures."""
    tallies = [[0, 0] for _ in jobs]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for future in [pool.submit(job, tally) for job, tally in zip(jobs, tallies, strict=True)]:
            future.result()
    return tallies


def walk_declared(source: SourceBase, connector: Connector) -> list[list[int]]:
    """Every scope's declared streams in order, each child list once per parent the scope holds."""
    client = connector.client
    downloader = Downloader(client.base_url, dict(client.session.headers), client.auth, source.concurrency)
    # The parent keys each child stream's path takes, by parent stream.
    keys: dict[str, set[str]] = {}
    for stream in connector.streams:
        if stream.parent:
            keys.setdefault(stream.parent.stream, set()).update(stream.parent.keys)

    def scope_job(scope: str) -> Callable[[list[int]], None]:
        def job(tally: list[int]) -> None:
            parents: dict[str, list[dict[str, Any]]] = {}
            for stream in connector.streams:
                if not connector.wanted(scope, stream):
                    continue
                if stream.parent is None:
                    wanted = keys.get(stream.name)
                    path = connector.path(stream, scope)
                    parents[stream.name] = _walk(
                        downloader, stream, path, connector.params(stream), tally, wanted
                    )
                    continue
                for parent in parents.get(stream.parent.stream, []):
                    ref = {key: parent[key] for key in stream.parent.keys}
                    _walk(
                        downloader,
                        stream,
                        connector.path(stream, scope, **ref),
                        connector.params(stream),
                        tally,
                    )

        return job

    return in_parallel([scope_job(scope) for scope in connector.scopes()], source.concurrency)


def _walk(
    downloader: Downloader,
    stream: Stream,
    path: str,
    params: Mapping[str, Any],
    tally: list[int],
    keys: set[str] | None = None,
) -> list[dict[str, Any]]:
    """One list, page after page; the records cut to `keys` when given (their bodies parsed then only).

    A status the paging style allows on the first page (a free tier's 403) means the list is absent.
    """
    kept: list[dict[str, Any]] = []
    url: str | None = path
    query: Mapping[str, Any] | None = params
    ok = tuple(stream.paging.ok | {200})
    while url:
        response = downloader.get(url, query, tally, ok)
        if response.status_code != 200:
            return kept
        if keys:
            body = response.json()
            records = body if stream.paging.items is None else body.get(stream.paging.items) or []
            kept += [{key: record.get(key) for key in keys} for record in records]
        url, query, ok = response.links.get("next", {}).get("url"), None, (200,)
    return kept
