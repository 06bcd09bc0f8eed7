"""The base read loops for a declared `Stream` (connectors/streams.py): full and incremental.

`Connector.read` picks the loop from the declaration (child streams: connectors/children.py).
Every loop yields a state only on a page after which resuming from it is safe: the pipeline
commits that state with the page's records in one transaction. The incremental read of a stream
that has child streams also keeps its walk as a `Listing` for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from connectors.paging import Fetched
from connectors.streams import (
    Page,
    Records,
    State,
    Stream,
    cursor_time,
    field_value,
    format_time,
    later,
    resume_from,
)

if TYPE_CHECKING:
    from connectors.base import Connector


def read_full(connector: Connector, scope: str, stream: Stream, state: State) -> Iterator[Page]:
    """The whole list each run; the state is `{}`, or `{"etag"}` when the list fit on one page
    (only then does page one's ETag vouch for all of it). A list absent here (a status the paging
    style's `ok` allows) lands nothing and commits `{}`."""
    etag = state.get("etag") if stream.etag else None
    pages = stream.paging.pages(
        connector.client, connector.path(stream, scope), connector.params(stream), etag
    )
    index = -1
    for index, page in enumerate(pages):
        if page.not_modified:
            yield Page([], None)
            return
        last = page.next_page is None
        single = index == 0 and last
        final = {"etag": page.etag} if single and stream.etag else {}
        yield Page(shaped(stream, page.records), final if last else None)
    if index < 0:
        yield Page([], {})


def read_incremental(
    connector: Connector, scope: str, stream: Stream, state: State, since: datetime | None = None
) -> Iterator[Page]:
    """Records changed since the resume point (or newer than `last_id`), committed at the walk's
    end, and page by page over an `oldest_first` list.

    The walk stops at the first record older than the resume point or not newer than `last_id`
    (newest-first lists), or where the list ends (the server filtered by `cursor_param`). The
    cursor advances to the newest record read; `read_at` is when page one was answered. `since`
    overrides the resume point (a hook re-reading after a first walk).
    """
    if since is None and not stream.append_only:
        since = resume_from(state.get("cursor"), state.get("read_at"), connector.overlap_minutes)
    params = since_params(connector, stream, since)
    etag = state.get("etag") if stream.etag and state.get("etag_params") == params else None
    stop_id = int(state["last_id"]) if stream.append_only and state.get("last_id") else None
    cursor, last_id = state.get("cursor"), state.get("last_id")
    new_state: State = {"etag_params": params} if stream.etag else {}
    # A walk cut at `last_id` rather than at a time holds no resume point's parents.
    listing = Listing.kept(connector, scope, stream, since) if stop_id is None else None
    for index, (page, kept, final) in enumerate(walk(connector, scope, stream, params, since, stop_id, etag)):
        if page.not_modified:
            yield Page([], None)
            return
        if index == 0:
            new_state |= ({"etag": page.etag} if stream.etag else {}) | {"read_at": page.served_at}
        for record in kept:
            cursor = later(cursor, cursor_time(stream, record))
            key = field_value(record, stream.primary_key)
            if stream.append_only and (last_id is None or int(key) > int(last_id)):
                last_id = key
        new_state |= {"cursor": cursor} | ({"last_id": last_id} if stream.append_only else {})
        records = shaped(stream, kept)
        if listing:
            listing.add(stream, records, page.served_at if index == 0 else listing.read_at, final)
        yield Page(records, new_state if final else _midway(stream, cursor))


def _midway(stream: Stream, cursor: str | None) -> State | None:
    """The state a page in the middle of a walk commits: none, but over an oldest-first list every
    record before the newest one read was read too, so a killed walk resumes from it (moved back
    by the overlap window: without `read_at`, records sharing its time on the next page are kept)."""
    return {"cursor": cursor} if stream.oldest_first and cursor else None


def walk(
    connector: Connector,
    scope: str,
    stream: Stream,
    params: Mapping[str, Any],
    since: datetime | None,
    stop_id: int | None,
    etag: str | None,
) -> Iterator[tuple[Fetched, Records, bool]]:
    """The list's pages with the records before the stop point, and whether the walk ends there."""
    for page in stream.paging.pages(connector.client, connector.path(stream, scope), params, etag):
        if page.not_modified:
            yield page, [], True
            return
        kept: Records = []
        done = False
        for record in page.records:
            if stop_id is not None and int(field_value(record, stream.primary_key)) <= stop_id:
                done = True
                break
            updated = cursor_time(stream, record)
            if since is not None and updated is not None and updated < since:
                done = True
                break
            kept.append(record)
        final = done or page.next_page is None
        yield page, kept, final
        if final:
            return


def since_params(connector: Connector, stream: Stream, since: datetime | None) -> dict[str, Any]:
    """The stream's params, with the resume point in `cursor_param` (and `cursor_params`) when set."""
    params = connector.params(stream)
    if since is not None and stream.cursor_param:
        params = {**params, **stream.cursor_params, stream.cursor_param: format_time(since)}
    return params


def shaped(stream: Stream, records: Records) -> Records:
    return stream.shape(records) if stream.shape else records


# One parent as its child streams need it: its key, its cursor value and the fields `Parent.keys`
# name (values in `Listing.fields` order while kept: a tuple is a third of a dict's size; by name in a `Ref`).
Listed = tuple[str, Any, tuple[Any, ...]]
Ref = tuple[str, Any, dict[str, Any]]


@dataclass
class Listing:
    """One walk of a parent stream's list in one scope, cut to what its child streams need.

    The parent's own incremental read keeps it (or the first child stream that walks the list
    itself, when the parent's walk began after that child's resume point), so a scope's child
    streams of one parent list their parents once between them in a sync, not once each. It holds
    every parent changed since `since` as the server listed them when it answered at `read_at`;
    it serves each child stream once (a child read again walks anew) and is dropped when it served
    them all.
    """

    since: datetime | None
    fields: tuple[str, ...]
    parents: list[Listed] = field(default_factory=list)
    read_at: str | None = None
    ended: bool = False  # the walk reached its last page: `parents` is the whole list
    served: set[str] = field(default_factory=set)  # the child streams that began reading it

    @classmethod
    def kept(cls, connector: Connector, scope: str, stream: Stream, since: datetime | None) -> Listing | None:
        """A new listing of `stream` from `since`, kept for its child streams (None: it has none)."""
        fields = tuple(
            dict.fromkeys(key for child in _children(connector, stream) for key in child.parent.keys)
        )
        if not fields:
            return None
        listing = connector.listings[(scope, stream.name)] = cls(since, fields)
        return listing

    def add(self, stream: Stream, records: Records, read_at: str | None, final: bool) -> list[Listed]:
        """Note one page's parents (`read_at` is page one's answer time); returns them."""
        listed = [
            (
                str(field_value(record, stream.primary_key)),
                field_value(record, stream.cursor_field),
                tuple(record.get(key) for key in self.fields),
            )
            for record in records
        ]
        self.parents += listed
        self.read_at, self.ended = read_at, final
        return listed

    def refs(self, listed: Iterable[Listed]) -> Iterator[Ref]:
        """The parents with their fields by name."""
        for key, value, values in listed:
            yield key, value, dict(zip(self.fields, values, strict=True))

    def serves(self, child: str, since: datetime | None) -> bool:
        """Whether it holds every parent the child stream `child` needs from its resume point."""
        if not self.ended or child in self.served:
            return False
        return self.since is None or (since is not None and since >= self.since)

    def release(self, connector: Connector, scope: str, parent: Stream) -> None:
        """Let it go once every child stream of `parent` read it."""
        key = (scope, parent.name)
        if (
            self.served >= {c.name for c in _children(connector, parent)}
            and connector.listings.get(key) is self
        ):
            del connector.listings[key]


def _children(connector: Connector, stream: Stream) -> list[Stream]:
    return [s for s in connector.streams if s.parent and s.parent.stream == stream.name]
