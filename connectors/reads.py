"""The base read loops for a declared `Stream` (connectors/streams.py): full and incremental.

`Connector.read` picks the loop from the declaration (child streams: connectors/children.py).
Every loop yields a state only on a page after which resuming from it is safe: the pipeline
commits that state with the page's records in one transaction.
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
        yield Page(shaped(stream, kept), new_state if final else _midway(stream, cursor))


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
