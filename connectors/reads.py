"""The base read loop: runs a declared `Stream` (connectors/streams.py) page by page.

`read_stream` picks the loop from the declaration: a connector hook (`reader`, or `first_reader`
while the state has no cursor), the child loop (`parent`), the full read (`cursor_field=None`) or
the incremental read. Every loop yields a state only on a page after which resuming from it is
safe: the pipeline commits that state with the page's records in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
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
    parse_time,
    resume_from,
)

if TYPE_CHECKING:
    from connectors.base import Connector


def read_stream(connector: Connector, scope: str, stream: Stream, state: State | None) -> Iterator[Page]:
    """The stream's pages for one scope, resuming from `state` (None or {} on a first run)."""
    state = state or {}
    if stream.reader:
        yield from getattr(connector, stream.reader)(scope, stream, state)
    elif stream.first_reader and not state.get("cursor"):
        yield from getattr(connector, stream.first_reader)(scope, stream, state)
    elif stream.parent:
        yield from read_children(connector, scope, stream, state)
    elif stream.cursor_field is None:
        yield from read_full(connector, scope, stream, state)
    else:
        yield from read_incremental(connector, scope, stream, state)


def read_full(connector: Connector, scope: str, stream: Stream, state: State) -> Iterator[Page]:
    """The whole list each run; the state is `{}`, or `{"etag"}` when the list fit on one page
    (only then does page one's ETag vouch for all of it)."""
    etag = state.get("etag") if stream.etag else None
    pages = stream.paging.pages(
        connector.client, connector.path(stream, scope), connector.params(stream), etag
    )
    for index, page in enumerate(pages):
        if page.not_modified:
            yield Page([], None)
            return
        last = page.next_page is None
        single = index == 0 and last
        final = {"etag": page.etag} if single and stream.etag else {}
        yield Page(shaped(stream, page.records), final if last else None)


def read_incremental(
    connector: Connector, scope: str, stream: Stream, state: State, since: datetime | None = None
) -> Iterator[Page]:
    """Records changed since the resume point (or newer than `last_id`), committed at the walk's end.

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
        yield Page(shaped(stream, kept), new_state if final else None)


def read_children(connector: Connector, scope: str, stream: Stream, state: State) -> Iterator[Page]:
    """For each parent changed since the child's cursor, the parent's child list.

    The parents are listed through the parent stream's declaration from the resume point of this
    stream's own cursor. While the listing is under way the state holds a `window`: its resume
    point and `done`, each finished parent's id with the cursor value it was read at. A run killed
    mid-window lists the same window again and skips the parents done at the same cursor value; a
    parent changed since (listed again with a newer value) is read again. The window's last page
    commits `{"cursor": newest parent read, "read_at": when the listing was answered}`.
    """
    assert stream.parent is not None
    parent = connector.stream(stream.parent.stream)
    window = state.get("window")
    if window is None:
        start = resume_from(state.get("cursor"), state.get("read_at"), connector.overlap_minutes)
        window = {"since": format_time(start) if start else None, "done": {}}
    since = parse_time(window["since"]) if window["since"] else None
    done: dict[str, Any] = dict(window["done"])
    before = {"cursor": state.get("cursor"), "read_at": state.get("read_at")}
    cursor, read_at = state.get("cursor"), None
    params = since_params(connector, parent, since)
    for index, (page, kept, final) in enumerate(walk(connector, scope, parent, params, since, None, None)):
        read_at = page.served_at if index == 0 else read_at
        for record in shaped(parent, kept):
            key, value = (
                str(field_value(record, parent.primary_key)),
                field_value(record, parent.cursor_field),
            )
            cursor = later(cursor, cursor_time(parent, record))
            if key in done and done[key] == value:
                continue
            children = list(child_pages(connector, scope, stream, record))
            done[key] = value
            progress = before | {"window": {"since": window["since"], "done": dict(done)}}
            for number, records in enumerate(children, start=1):
                yield Page(records, progress if number == len(children) else None)
        if final:
            yield Page([], {"cursor": cursor, "read_at": read_at})


def child_pages(
    connector: Connector, scope: str, stream: Stream, parent: Mapping[str, Any]
) -> Iterator[Records]:
    """One parent's child list, page by page, each record carrying `_parent` (see `Parent`)."""
    assert stream.parent is not None
    ref = {key: parent.get(key) for key in stream.parent.keys}
    pages = stream.paging.pages(
        connector.client, connector.path(stream, scope, **ref), connector.params(stream)
    )
    if stream.parent.one_record:
        items = [record for page in pages for record in shaped(stream, page.records)]
        yield [{"_parent": ref, "items": items}]
        return
    for page in pages:
        yield [{**record, "_parent": ref} for record in shaped(stream, page.records)]


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
