"""The connector contract: a tracker is a set of declarative streams read page by page.

A connector knows a tracker's HTTP API and nothing about Dagster or DuckDB. The pipeline asks it
for `scopes()` (repos, projects) and `streams`, then calls `read(scope, stream, state)` and gets
`Page`s: the records exactly as the API returned them, plus the state to store once those records
are committed. The pipeline commits each page's records and its state in one transaction, so a
run that dies resumes from the last committed page and never skips data.

Adding a tracker: subclass `Connector`, declare its `Stream`s, implement `read_stream` for the
paging styles the base does not already cover, register it in `connectors/__init__.py`, and add
its staging SQL under `models/staging/<type>/`. `tests/test_connector_contract.py` runs the
shared contract against every registered connector's emulator.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar, Literal
from urllib.parse import urljoin

from connectors.http import HttpClient
from connectors.http_text import redact
from connectors.paging_guard import PageGuard

Paging = Literal["link", "token", "offset", "none"]
State = dict[str, Any]


@dataclass(frozen=True)
class Stream:
    """One list endpoint of a tracker, declared rather than coded.

    name: the stream's name; its records land in `raw.<source_type>_<name>`.
    path: URL path template; `{scope}` is replaced by the repo or project.
    primary_key: the record field that identifies it (the raw table's key with the source).
    cursor_field: the record field an incremental read advances on (None: full read each run).
    paging: how the endpoint pages (Link header, next-page token, startAt offset, or one page).
    newest_first: pages come newest first, so a change always alters page one; a 304 on page
        one then proves nothing changed. Oldest-first lists only prove it when they fit on a page.
    """

    name: str
    path: str
    primary_key: str = "id"
    cursor_field: str | None = "updated_at"
    paging: Paging = "link"
    newest_first: bool = False
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Page:
    """Records of one API page and the state to persist once they are committed (None: not yet)."""

    records: list[dict[str, Any]]
    state: State | None = None


@dataclass(frozen=True)
class Record:
    """Helper view of a record used by the loader: its key and cursor values."""

    id: str
    cursor: datetime | None


class Connector:
    """Base class: holds the HTTP client and the source's settings; subclasses add streams."""

    source_type: ClassVar[str]
    streams: ClassVar[tuple[Stream, ...]]
    census_stream: ClassVar[str] = "issues"  # the stream whose deletions `census` detects

    def __init__(self, client: HttpClient, settings: Mapping[str, Any]) -> None:
        self.client = client
        self.settings = settings

    def scopes(self) -> list[str]:
        """The repos or projects this source covers."""
        raise NotImplementedError

    def check(self) -> None:
        """A cheap request per scope that fails with ConnectorError when the source is unusable."""
        raise NotImplementedError

    def read(self, scope: str, stream: Stream, state: State | None) -> Iterator[Page]:
        """Yield the stream's pages for one scope, resuming from `state` (None on a first run)."""
        raise NotImplementedError

    def census(self, scope: str) -> set[str]:
        """Ids of every record of `census_stream` now in the scope; raw rows missing from it were deleted."""
        raise NotImplementedError

    def record_key(self, stream: Stream, record: Mapping[str, Any]) -> Record:
        """The record's primary key as a string and its cursor as a UTC datetime (None when unusable).

        The cursor field may be nested (`fields.updated` in Jira).
        """
        value: Any = record
        for part in stream.cursor_field.split(".") if stream.cursor_field else []:
            value = value.get(part) if isinstance(value, Mapping) else None
        cursor = parse_time(value) if stream.cursor_field and isinstance(value, str) else None
        return Record(id=str(record[stream.primary_key]), cursor=cursor)


def parse_time(value: str) -> datetime:
    """Parse tracker timestamps into aware UTC datetimes.

    GitHub: `2011-04-22T13:33:48Z`. Jira: `2020-06-12T08:15:36.123+0800` (no colon in the offset,
    which Python 3.11's fromisoformat accepts).
    """
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_time(value: datetime) -> str:
    """ISO 8601 in UTC with a Z, as GitHub's `since` expects."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def overlap(cursor: str | None, minutes: float) -> datetime | None:
    """The cursor moved back by the overlap window, so late writes near it are read again."""
    if not cursor:
        return None
    return parse_time(cursor) - timedelta(minutes=minutes)


def resume_from(cursor: str | None, read_at: str | None, minutes: float) -> datetime | None:
    """Where the next read of a list ordered by update time starts (inclusive), given the newest
    update read (`cursor`) and when the server answered that read (`read_at`, its Date header).

    A write the server did not list yet when it answered was made at most `minutes` before that
    answer. When the cursor is older than that window, nothing was in flight: the next read starts
    just after the cursor, and re-reads nothing. Otherwise it starts at the window, which the cursor
    is in. Without `read_at`, at the cursor minus the window.
    """
    if not cursor:
        return None
    newest, window = parse_time(cursor), timedelta(minutes=minutes)
    if read_at is None:
        return newest - window
    if parse_time(read_at) - window > newest:
        return newest + timedelta(seconds=1)
    return parse_time(read_at) - window


@dataclass
class Fetched:
    """One page as fetched: its records, whether the server said 'not modified', and what follows."""

    records: list[dict[str, Any]]
    url: str
    etag: str | None = None
    next_url: str | None = None
    not_modified: bool = False
    served_at: str | None = None  # the server's Date header, as a UTC ISO time


def fetch_link_pages(
    client: HttpClient, path: str, params: Mapping[str, Any], etag: str | None = None
) -> Iterator[Fetched]:
    """Follow a list endpoint through its `Link: rel="next"` headers, exactly as given.

    `etag` is sent as `If-None-Match` on the first page only; a 304 yields one empty,
    not_modified page and stops (it costs no rate-limit budget on GitHub). The client refuses a
    next link that leaves the base_url; a `PageGuard` ends a walk that would not end.
    """
    url: str | None = client.url(path)
    query: Mapping[str, Any] | None = params
    headers = {"If-None-Match": etag} if etag else None
    guard = PageGuard(f"GET {redact(client.url(path))}")
    while url:
        response, body = client.get_json(url, params=query, headers=headers, ok=frozenset({200, 304}))
        if response.status_code == 304:
            yield Fetched(records=[], url=response.url, etag=etag, not_modified=True)
            return
        records = guard.page(body)
        link = response.links.get("next", {}).get("url")
        next_url = urljoin(response.url, link) if link else None  # a relative link is the page's
        if next_url:
            guard.follow(response.url, next_url, "next link")
        yield Fetched(
            records=records,
            url=response.url,
            etag=response.headers.get("ETag"),
            next_url=next_url,
            served_at=_served_at(response.headers.get("Date")),
        )
        url, query, headers = next_url, None, None


def _served_at(date: str | None) -> str | None:
    """An HTTP Date header as a UTC ISO time; None when absent or unreadable."""
    try:
        return parsedate_to_datetime(date).astimezone(UTC).isoformat() if date else None
    except (TypeError, ValueError):
        return None
