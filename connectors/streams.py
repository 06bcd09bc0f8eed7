"""A stream's declaration, its pages, and the time rules every incremental read shares.

How to declare each kind of stream (the base read loop, `connectors/reads.py`, runs them):
- A full list re-read each run: `cursor_field=None` and a paging style (`connectors/paging.py`).
  `etag=True` sends the stored ETag; a list that fit on one page then costs one 304 when unchanged.
- An incremental list: `cursor_field` (the record's update time, dotted when nested), and either
  `cursor_param` (the query parameter asking for records changed since the resume point: GitHub
  `since`, GitLab `updated_after`), with `cursor_params` for what changes along with it (GitHub
  issues turn to `direction=desc`), or `newest_first=True` with no parameter: the walk stops at the
  first record older than the resume point. The resume point is `resume_from(cursor, read_at)`.
  State: `{"cursor", "read_at"}`, plus `{"etag", "etag_params"}` with `etag=True`, committed at
  the walk's end; `oldest_first=True` (sorted by the cursor ascending, keyset-paged) also commits
  `{"cursor"}` page by page, so a killed first read resumes near where it died.
- An append-only list (events, newest first): `append_only=True`; the walk stops at the highest
  `primary_key` stored (`last_id`), never at a time.
- A site-wide list (not per scope): `site_wide=True`; read under the first scope only.
- A child stream, one request walk per parent: `parent=Parent("issues", keys=("id", "iid"))` and a
  path using the parent's keys (`/projects/{scope}/issues/{iid}/resource_state_events`). Each run
  lists the parents changed since the child's own cursor (through the parent stream's declaration;
  the parent's own read of the run serves as that listing for all its children when it began at
  or before the child's resume point) and reads the child list of each; every record gets `_parent`
  (the parent's keys). `Parent(..., lacking={403})`: a child list refused for one parent is not
  asked of the scope's others in that run (a tier without the feature). Progress is
  committed per parent (connectors/children.py); declare the parent's order (`oldest_first`
  when sorted by its cursor ascending and keyset-paged, or `newest_first`) so progress stays small. A child list
  whose records have no unique id of their own: `Parent(..., one_record=True)` lands the parent's
  whole list as one record `{"_parent": {...}, "items": [...]}`: declare `primary_key="_parent.id"`.
- Anything else: `reader="method"` names a connector method `(scope, stream, state) -> pages` that
  reads the stream; `first_reader="method"` one used while the state has no cursor yet; `shape` a
  function applied to each page's records before they land (drop, trim, annotate).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.paging import Link, Paging

State = dict[str, Any]
Records = list[dict[str, Any]]


@dataclass(frozen=True)
class Parent:
    """A child stream's parent: the stream (by name, declared before it) whose records it hangs off.

    keys: the parent fields copied into each child record's `_parent` (and usable in the path).
    one_record: land the parent's whole child list as one record keyed by the parent (for children
        without a unique id of their own; a re-read replaces the list, so a removed child goes).
    lacking: statuses among the child paging's `ok` that say the scope lacks the list, whichever
        the parent (a free tier's 403): after one, the scope's other parents are not asked in that
        read. A status left out (a 404: perhaps the parent deleted since it was listed) is asked
        of each parent.
    """

    stream: str
    keys: tuple[str, ...] = ("id",)
    one_record: bool = False
    lacking: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Stream:
    """One list endpoint of a tracker, declared rather than coded (see the module docstring).

    name: the stream's name; its records land in `raw.<source_type>_<name>`.
    path: URL path template; `{scope}` is the repo or project, a child's parent keys by name, and
        whatever the connector's `path_values` adds (Jira: `{api}`).
    primary_key: the record field that identifies it (dotted when nested).
    cursor_field: the record field an incremental read advances on (None: full read each run).
    paging: the paging style (`connectors.paging`): Link, PageNumber, Offset, Token, Keyset, Single.
    newest_first: pages come newest first, so a change always alters page one; a 304 on page
        one then proves nothing changed. Oldest-first lists only prove it when they fit on a page.
    oldest_first: the list comes sorted by `cursor_field` ascending (GitLab `order_by=updated_at,
        sort=asc`) and pages without skipping a row that moves (keyset): a child stream's progress
        over it is then a mark, not a list of every parent done (connectors/children.py).
    params: query parameters of every request (filters, sort, order).
    cursor_param / cursor_params: the parameter carrying the resume point, and parameters that go
        with it (both absent on a first read).
    append_only: records never change; stop at the highest id stored instead of at a time.
    etag: send the stored ETag as If-None-Match on page one.
    site_wide: one list for the whole site, read under the first scope.
    parent: makes this a child stream, read once per parent changed since its cursor.
    shape: applied to each page's records before they land.
    reader / first_reader: connector method names taking over the read (always / while no cursor).
    """

    name: str
    path: str
    primary_key: str = "id"
    cursor_field: str | None = "updated_at"
    paging: Paging = Link()
    newest_first: bool = False
    oldest_first: bool = False
    params: Mapping[str, Any] = field(default_factory=dict)
    cursor_param: str | None = None
    cursor_params: Mapping[str, Any] = field(default_factory=dict)
    append_only: bool = False
    etag: bool = False
    site_wide: bool = False
    parent: Parent | None = None
    shape: Callable[[Records], Records] | None = None
    reader: str | None = None
    first_reader: str | None = None


@dataclass
class Page:
    """Records of one API page and the state to persist once they are committed (None: not yet)."""

    records: Records
    state: State | None = None


@dataclass(frozen=True)
class Record:
    """Helper view of a record used by the loader: its key and cursor values."""

    id: str
    cursor: datetime | None


def field_value(record: Mapping[str, Any], dotted: str | None) -> Any:
    """The value at a dotted path (`fields.updated`, `_parent.id`); None where a step is missing."""
    if not dotted:
        return None
    value: Any = record
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def cursor_time(stream: Stream, record: Mapping[str, Any]) -> datetime | None:
    """The record's cursor as a UTC datetime (None when the stream has none or it is not a time)."""
    value = field_value(record, stream.cursor_field)
    return parse_time(value) if isinstance(value, str) else None


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


def later(cursor: str | None, candidate: datetime | None) -> str | None:
    """The cursor moved forward to `candidate`, never back; stored as `format_time` writes it."""
    if candidate is None or (cursor is not None and candidate <= parse_time(cursor)):
        return cursor
    return format_time(candidate)


def resume_from(cursor: str | None, read_at: str | None, minutes: float) -> datetime | None:
    """Where the next read of a list ordered by update time starts (inclusive), given the newest
    update read (`cursor`) and when the server answered that read (`read_at`, its Date header).

    A write the server did not list yet when it answered was made at most `minutes` before that
    answer. When the cursor is older than that window, nothing was in flight: the next read starts
    just after the cursor (a second after, for lists with times in seconds, unless the window starts
    sooner: a write in between, with milliseconds, may not have been listed), and re-reads nothing.
    Otherwise it starts at the window, which the cursor is in. Without `read_at`, at the cursor
    minus the window.
    """
    if not cursor:
        return None
    newest, window = parse_time(cursor), timedelta(minutes=minutes)
    if read_at is None:
        return newest - window
    listed_until = parse_time(read_at) - window
    if listed_until > newest:
        return min(newest + timedelta(seconds=1), listed_until)
    return listed_until
