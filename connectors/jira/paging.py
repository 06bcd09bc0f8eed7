"""Jira's two paging styles: `nextPageToken` (Cloud issue search) and `startAt` offsets (the rest).

Both stop on their own: a token seen before, or pages that bring no issue not read before, raise
RepeatedToken (stale tokens have looped clients forever; the caller may search again from its
cursor), and an offset page that is empty, says `isLast`, or reaches `total` ends the walk. `total`
may change between pages and servers may cap `maxResults`, so offsets advance by what actually
came back. A `PageGuard` also caps either walk at what the largest `total` seen allows.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from connectors.http import ConnectorError, HttpClient
from connectors.http_text import redact
from connectors.paging_guard import PageGuard, PagingLoop


class RepeatedToken(PagingLoop):
    """The server's tokens would loop forever: one came back, or pages bring nothing new."""


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
    guard = PageGuard(f"GET {redact(client.url(path))}")
    token: str | None = None
    while True:
        query = {**params, **({"nextPageToken": token} if token else {})}
        _, body = client.get_json(path, params=query)
        body = _object(body, path)
        try:
            yield guard.page(body.get(key) or [], body.get("total"))
            following = body.get("nextPageToken")
            if body.get("isLast") or not following:
                return
            guard.follow(token or "", str(following), "nextPageToken")
        except PagingLoop as loop:
            raise RepeatedToken(str(loop)) from None
        token = str(following)


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
    guard = PageGuard(f"GET {redact(client.url(path))}")
    while True:
        response, body = client.get_json(path, params={**params, "startAt": start_at}, ok=ok)
        if response.status_code != 200:
            return
        body = _object(body, path)
        total = body.get("total")
        items = guard.page(body.get(key) or [], total)
        yield OffsetPage(items, start_at, total)
        start_at += len(items)
        if not items or body.get("isLast") is True:
            return
        if body.get("isLast") is None and isinstance(total, int) and start_at >= total:
            return


def _object(body: Any, path: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ConnectorError(f"GET {path}: expected a JSON object, got {type(body).__name__}")
    return body
