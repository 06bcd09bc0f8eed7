"""Jira's two paging styles: `nextPageToken` (Cloud issue search) and `startAt` offsets (the rest).

Both stop on their own: a token seen before raises RepeatedToken (stale tokens have looped clients
forever; the caller may search again from its cursor), and an offset page that is empty, says
`isLast`, or reaches `total` ends the walk. `total` may change between pages and servers may cap
`maxResults`, so offsets advance by what actually came back.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from connectors.http import ConnectorError, HttpClient


class RepeatedToken(ConnectorError):
    """The server handed back a nextPageToken it gave before: following it would loop forever."""


@dataclass
class OffsetPage:
    """One offset page: its items, where it started, and the server's `total` if it sent one."""

    items: list[dict[str, Any]]
    start_at: int
    total: int | None


def token_pages(
    client: HttpClient, path: str, params: Mapping[str, Any], key: str = "issues"
) -> Iterator[list[dict[str, Any]]]:
    """Yield each page's `key` list, following `nextPageToken` until `isLast` or no token."""
    seen: set[str] = set()
    token: str | None = None
    while True:
        query = {**params, **({"nextPageToken": token} if token else {})}
        _, body = client.get_json(path, params=query)
        yield list(body.get(key) or [])
        token = body.get("nextPageToken")
        if body.get("isLast") or not token:
            return
        if token in seen:
            raise RepeatedToken(f"GET {path}: nextPageToken {token[:40]!r} came back again; stopping")
        seen.add(token)


def offset_pages(
    client: HttpClient,
    path: str,
    params: Mapping[str, Any],
    key: str = "values",
    start_at: int = 0,
    ok: frozenset[int] = frozenset({200}),
) -> Iterator[OffsetPage]:
    """Yield pages from `start_at` until a page is empty, says `isLast`, or reaches `total`.

    A status in `ok` other than 200 ends the walk quietly (agile: a kanban board's sprints are 400).
    """
    while True:
        response, body = client.get_json(path, params={**params, "startAt": start_at}, ok=ok)
        if response.status_code != 200:
            return
        items = list(body.get(key) or [])
        total = body.get("total")
        yield OffsetPage(items, start_at, total)
        start_at += len(items)
        if not items or body.get("isLast") is True:
            return
        if body.get("isLast") is None and total is not None and start_at >= int(total):
            return
