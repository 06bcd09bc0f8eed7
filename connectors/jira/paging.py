"""Jira's two paging styles, as the kit runs them: `nextPageToken` (Cloud issue search) and
`startAt` offsets (Data Center search, versions, agile boards and sprints, changelogs).

Both stop on their own (connectors/paging.py): a token seen before, or pages that bring no issue
not read before, raise RepeatedToken (stale tokens have looped clients forever; the caller may
search again from its cursor), and an offset page that is empty, says `isLast`, or reaches `total`
ends the walk. Here the params carry their own `maxResults`: the kit's page size is not added.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from connectors.http import HttpClient
from connectors.paging import Fetched, Offset, Token
from connectors.paging_guard import PagingLoop


class RepeatedToken(PagingLoop):
    """The server's tokens would loop forever: one came back, or pages bring nothing new."""


def token_pages(
    client: HttpClient, path: str, params: Mapping[str, Any], key: str = "issues"
) -> Iterator[Fetched]:
    """Yield each page (its `key` list as records), following `nextPageToken` until `isLast` or no
    token."""
    try:
        yield from Token(size_param=None, items=key).pages(client, path, params)
    except PagingLoop as loop:
        raise RepeatedToken(str(loop)) from None


def offset_pages(
    client: HttpClient,
    path: str,
    params: Mapping[str, Any],
    key: str = "values",
    start_at: int = 0,
    ok: frozenset[int] = frozenset({200}),
) -> Iterator[Fetched]:
    """Pages from `start_at` (each with its `start_at` and the server's `total`) until a page is
    empty, says `isLast`, or reaches `total`. A status in `ok` other than 200 ends the walk
    quietly (agile: a kanban board's sprints are 400)."""
    return Offset(size_param=None, items=key, ok=ok).pages(client, path, params, start_at=start_at)
