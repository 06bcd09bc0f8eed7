"""The paging styles the base read loop runs: a stream declares one, the loop asks it for pages.

Each style walks one list from its first page to its last and yields `Fetched` pages, each saying
whether another follows (`next_page`, None on the last), so a reader can attach the stream's state
to the last page before the walk asks for more. All of them:
- send the stream's params on the first request and what the server said on the following ones;
- check every page with one `PageGuard` (a page address seen before, pages bringing nothing new,
  more pages than the announced total allows, a record that is not an object);
- send `If-None-Match` on the first page when given an ETag; a 304 yields one empty, not_modified
  page and ends the walk (a 304 costs GitHub no rate-limit budget).

Styles (`size` is the page size asked for; the connector's `per_page` setting overrides it):
- `Link()`: follow `Link: rel="next"` exactly as given (GitHub; GitLab offset and keyset both send
  it: declare GitLab's `pagination=keyset`, `order_by`, `sort` in the stream's params).
- `PageNumber()`: `page`/`per_page`, the next page number from `X-Next-Page` (GitLab without Link).
- `Offset()`: `startAt`/`maxResults` over `values`, ending on `isLast`, an empty page or `total`
  (Jira agile and versions; Jira Data Center search with `items="issues"`).
- `Token()`: `nextPageToken` from the body until `isLast` or none (Jira Cloud `/search/jql`).
- `Keyset(param, field)`: the next page asks `param=<the last record's field>` until a page comes
  back empty (APIs with `id_after`-style keysets and no Link header).
- `Single()`: one GET, the whole list (Jira `/field`, `/status`).
`items` names the body's key holding the records (None: the body is the list). `ok` adds statuses
that mean the list is absent here (a paid feature a free tier refuses with 403, an instance without
it 404, a kanban board's sprints 400): on the first page the walk then ends quietly, with no page,
and returns that status (the generator's return value, for a caller that tells one absence from
another: `walked`); later pages must answer 200, so a list is never cut short quietly (Offset: on
any page, as Jira's agile lists always were).
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any, Protocol
from urllib.parse import urljoin

import requests

from connectors.http import ConnectorError, HttpClient
from connectors.http_text import redact
from connectors.paging_guard import PageGuard

OK = frozenset({200})


@dataclass
class Fetched:
    """One page as fetched: its records, whether the server said 'not modified', and what follows.

    next_page: the next page's address (a URL, token, offset or page number), None on the last page.
    start_at / total: an offset page's position and the server's announced total, when it sent one.
    """

    records: list[dict[str, Any]]
    url: str
    etag: str | None = None
    next_page: str | None = None
    not_modified: bool = False
    served_at: str | None = None  # the server's Date header, as a UTC ISO time
    start_at: int = 0
    total: int | None = None


# A walk's pages; it returns the status that said the list is absent here (None when it answered).
Walk = Generator[Fetched, None, int | None]


class Paging(Protocol):
    """A paging style: walks one list from its first page; `size_param` None sends no page size."""

    size_param: str | None
    size: int

    def pages(
        self, client: HttpClient, path: str, params: Mapping[str, Any], etag: str | None = None
    ) -> Walk: ...


@dataclass(frozen=True)
class Link:
    """Follow `Link: rel="next"`; a relative link is the page's own, one leaving base_url fails."""

    size_param: str | None = "per_page"
    size: int = 100
    items: str | None = None
    ok: frozenset[int] = OK

    def pages(
        self, client: HttpClient, path: str, params: Mapping[str, Any], etag: str | None = None
    ) -> Walk:
        url: str | None = client.url(path)
        query: Mapping[str, Any] | None = params
        absent = self.ok
        guard = PageGuard(f"GET {redact(client.url(path))}")
        while url:
            response, records = _checked(client, guard, url, query, etag, self.items, absent)
            if records is None:
                yield from _unchanged(response, etag)
                return _absent(response)
            link = response.links.get("next", {}).get("url")
            next_url = urljoin(response.url, link) if link else None
            if next_url:
                guard.follow(response.url, next_url, "next link")
            yield _fetched(response, records, next_url)
            url, query, etag, absent = next_url, None, None, frozenset()


@dataclass(frozen=True)
class PageNumber:
    """`page=1, 2, ...` while the server's `X-Next-Page` header names one (empty on the last page)."""

    page_param: str = "page"
    size_param: str | None = "per_page"
    size: int = 100
    next_header: str = "X-Next-Page"
    items: str | None = None
    ok: frozenset[int] = OK

    def pages(
        self, client: HttpClient, path: str, params: Mapping[str, Any], etag: str | None = None
    ) -> Walk:
        guard = PageGuard(f"GET {redact(client.url(path))}")
        page, absent = "1", self.ok
        while True:
            response, records = _checked(
                client, guard, path, {**params, self.page_param: page}, etag, self.items, absent
            )
            if records is None:
                yield from _unchanged(response, etag)
                return _absent(response)
            following = (response.headers.get(self.next_header) or "").strip() or None
            if following:
                guard.follow(page, following, self.next_header)
            yield _fetched(response, records, following)
            if following is None:
                return
            page, etag, absent = following, None, frozenset()


@dataclass(frozen=True)
class Offset:
    """`startAt` offsets advancing by what came back (servers cap page sizes and totals move).

    The walk ends on an empty page, `isLast: true`, or (when the server sends no isLast) once the
    offset reaches `total`. A status in `ok` other than 200 ends it quietly with no page (agile: a
    kanban board's sprints answer 400, a site without Jira Software 404).
    """

    start_param: str = "startAt"
    size_param: str | None = "maxResults"
    size: int = 50
    items: str | None = "values"
    ok: frozenset[int] = OK

    def pages(
        self,
        client: HttpClient,
        path: str,
        params: Mapping[str, Any],
        etag: str | None = None,
        start_at: int = 0,
    ) -> Walk:
        guard = PageGuard(f"GET {redact(client.url(path))}")
        while True:
            query = {**params, self.start_param: start_at}
            response, body = client.get_json(path, params=query, ok=self.ok | OK)
            if response.status_code != 200:
                return response.status_code
            body = _object(body, path)
            total = body.get("total")
            records = guard.page(body.get(self.items or "") or [], total)
            following = start_at + len(records)
            last = (
                not records
                or body.get("isLast") is True
                or (body.get("isLast") is None and isinstance(total, int) and following >= total)
            )
            fetched = _fetched(response, records, None if last else str(following))
            fetched.start_at, fetched.total = start_at, total if isinstance(total, int) else None
            yield fetched
            if last:
                return
            start_at = following


@dataclass(frozen=True)
class Token:
    """`nextPageToken` from each body, sent back until `isLast` or no token; a token seen before
    raises `PagingLoop` (stale tokens have looped clients forever)."""

    token_param: str = "nextPageToken"
    size_param: str | None = "maxResults"
    size: int = 100
    items: str | None = "issues"

    def pages(
        self, client: HttpClient, path: str, params: Mapping[str, Any], etag: str | None = None
    ) -> Walk:
        guard = PageGuard(f"GET {redact(client.url(path))}")
        token: str | None = None
        while True:
            query = {**params, **({self.token_param: token} if token else {})}
            response, body = client.get_json(path, params=query)
            body = _object(body, path)
            records = guard.page(body.get(self.items or "") or [], body.get("total"))
            following = body.get(self.token_param)
            following = None if body.get("isLast") or not following else str(following)
            # The page is handed over before its token is judged: a caller that commits it can
            # search again from the cursor it reached when the token loops.
            yield _fetched(response, records, following)
            if following is None:
                return
            guard.follow(token or "", following, self.token_param)
            token = following


@dataclass(frozen=True)
class Keyset:
    """The next page asks `param=<the last record's field>`; an empty page ends the walk.

    The list must be sorted by `field` (declare the sort in the stream's params). A short page does
    not end it: a server may cap the page size below what was asked.
    """

    param: str
    field: str = "id"
    items: str | None = None
    size_param: str | None = "per_page"
    size: int = 100
    ok: frozenset[int] = OK

    def pages(
        self, client: HttpClient, path: str, params: Mapping[str, Any], etag: str | None = None
    ) -> Walk:
        guard = PageGuard(f"GET {redact(client.url(path))}")
        query: Mapping[str, Any] = params
        after, absent = "", self.ok
        while True:
            response, records = _checked(client, guard, path, query, etag, self.items, absent)
            if records is None:
                yield from _unchanged(response, etag)
                return _absent(response)
            following = str(records[-1].get(self.field)) if records else None
            if following is not None:
                guard.follow(after, following, f"{self.param} value")
            yield _fetched(response, records, following)
            if following is None:
                return
            query, after, etag, absent = {**params, self.param: following}, following, None, frozenset()


@dataclass(frozen=True)
class Single:
    """One GET: the whole list in one answer."""

    size_param: str | None = None
    size: int = 0
    items: str | None = None
    ok: frozenset[int] = OK

    def pages(
        self, client: HttpClient, path: str, params: Mapping[str, Any], etag: str | None = None
    ) -> Walk:
        guard = PageGuard(f"GET {redact(client.url(path))}")
        response, records = _checked(client, guard, path, params, etag, self.items, self.ok)
        if records is None:
            yield from _unchanged(response, etag)
            return _absent(response)
        yield _fetched(response, records, None)


def fetch_link_pages(
    client: HttpClient, path: str, params: Mapping[str, Any], etag: str | None = None
) -> Walk:
    """A `Link` walk of `path` with `params` as given (no page size added)."""
    return Link().pages(client, path, params, etag)


def served_at(date: str | None) -> str | None:
    """An HTTP Date header as a UTC ISO time; None when absent or unreadable."""
    try:
        return parsedate_to_datetime(date).astimezone(UTC).isoformat() if date else None
    except (TypeError, ValueError):
        return None


def _checked(
    client: HttpClient,
    guard: PageGuard,
    url: str,
    params: Mapping[str, Any] | None,
    etag: str | None,
    items: str | None,
    ok: frozenset[int],
) -> tuple[requests.Response, list[dict[str, Any]] | None]:
    """GET one page (with `If-None-Match` when given an ETag): its records, checked by the guard,
    or None when the server answered 304 or another status in `ok`."""
    headers = {"If-None-Match": etag} if etag else None
    response, body = client.get_json(url, params=params, headers=headers, ok=ok | {200, 304})
    if response.status_code != 200:
        return response, None
    return response, guard.page(_items(body, items, url))


def walked(pages: Walk) -> tuple[list[Fetched], int | None]:
    """Every page of a walk, and the status that said the list is absent (None: it answered)."""
    got: list[Fetched] = []
    while True:
        try:
            got.append(next(pages))
        except StopIteration as end:
            return got, end.value


def _absent(response: requests.Response) -> int | None:
    """The status of an answer saying the list is absent here; None for a 304 (it is there)."""
    return None if response.status_code == 304 else response.status_code


def _unchanged(response: requests.Response, etag: str | None) -> list[Fetched]:
    """What a walk yields for an answer without records: a not_modified page for a 304, else none."""
    if response.status_code != 304:
        return []
    return [Fetched(records=[], url=response.url, etag=etag, not_modified=True)]


def _fetched(response: requests.Response, records: list[dict[str, Any]], following: str | None) -> Fetched:
    return Fetched(
        records=records,
        url=response.url,
        etag=response.headers.get("ETag"),
        next_page=following,
        served_at=served_at(response.headers.get("Date")),
    )


def _items(body: Any, key: str | None, path: str) -> Any:
    """The records in a body: the body itself, or its `key` (a missing or null key: no records)."""
    return body if key is None else _object(body, path).get(key) or []


def _object(body: Any, path: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ConnectorError(f"GET {path}: expected a JSON object, got {type(body).__name__}")
    return body
