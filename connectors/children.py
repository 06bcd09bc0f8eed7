"""Child streams: for each parent changed since the child's cursor, read the parent's child list.

The parents are listed through the parent stream's declaration, from the resume point of the
child stream's own cursor (`resume_from`), so a child never depends on when its parent stream was
last read. The listing is shared: the parent stream's incremental read keeps its walk in the
scope (`connectors.reads.Listing`), and a child whose resume point that walk covers (it began at
or before it) takes the parents from it instead of walking the list again, keeping those changed
since its own resume point; a child it does not cover (one behind: a first read, a window a killed
run left) walks the list itself and keeps that walk for its siblings. So a sync lists a parent
list once for the parent and all its children, however many child streams it has. What a child
commits is the same either way: its own window, and at the end the walk's newest parent and answer
time (an earlier walk's time only moves the next resume point back, never past a change).

A child list absent with a status its `Parent.lacking` declares (a free tier's 403) is absent for
every parent of the scope: the other parents are not asked in that read, and the read ends as if
their lists were empty.

While a listing (a *window*) is under way, each parent's last child page commits the
window's progress with it, so a run killed mid-window resumes without re-reading a finished parent
and without skipping one:

    {"cursor": ..., "read_at": ...,     # the last finished window's, unchanged until its end
     "window": {"since": resume point or None,
                "mark": {"order", "cursor", "ids", "top"},  # a sorted parent list: see Window
                "done": {parent id: its cursor value}}}      # any other parent finished

A resumed run lists the same window again (or takes it from a walk that covers it). A parent is skipped when it was finished at the cursor
value it is listed with now; one changed since is listed with a newer value and read again, as is
a parent listed twice in one walk because it changed mid-walk. When the parent stream is declared
`oldest_first` or `newest_first`, the parents finished in its order are a range (a few bytes
however many parents are done); otherwise every finished parent is in `done` until the window ends
(its state grows with the window: declare the order of a long parent list). The window's last
page commits `{"cursor": newest parent listed, "read_at": when the listing was answered}`, and the
next window starts from there.

An oldest-first parent list must page without skipping rows that move (keyset, or a Link walk over
a keyset): an offset walk over a changing sort slides a row under a page boundary, and no progress
record can see a parent the listing never showed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from connectors.paging import walked
from connectors.reads import Listing, Ref, shaped, since_params, walk
from connectors.streams import (
    Page,
    Records,
    State,
    Stream,
    format_time,
    later,
    parse_time,
    resume_from,
)

if TYPE_CHECKING:
    from connectors.base import Connector


@dataclass
class Window:
    """One listing of the parents and which of them are finished (see the module docstring).

    order: how the parent list is sorted by its cursor, "asc" (`oldest_first`), "desc"
    (`newest_first`) or None. Over a sorted list the parents finished in order are a range from
    where the walk began to the `mark` (ascending: everything before it; descending: everything
    after it up to the `top`, the first parent finished), plus `ids`, those finished at the mark's
    own time (ties may straddle it). Any other finished parent is kept in `done` with its value.
    """

    since: str | None
    order: str | None = None
    mark: str | None = None
    ids: list[str] = field(default_factory=list)
    top: str | None = None
    done: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def resumed(cls, state: State, order: str | None, overlap_minutes: float) -> Window:
        saved = state.get("window")
        if saved is None:
            start = resume_from(state.get("cursor"), state.get("read_at"), overlap_minutes)
            return cls(format_time(start) if start else None, order)
        mark = saved.get("mark") or {}
        if mark.get("order") != order:  # the declaration changed mid-window: the mark means nothing
            mark = {}
        return cls(
            saved["since"],
            order,
            mark.get("cursor"),
            list(mark.get("ids", [])),
            mark.get("top"),
            dict(saved["done"]),
        )

    def finished(self, key: str, value: Any) -> bool:
        """Whether the parent `key`, listed now at cursor `value`, was read at that value."""
        if key in self.done and self.done[key] == value:
            return True
        at, mark = _time(value), _time(self.mark)
        if at is None or mark is None:
            return False
        if at == mark:
            return key in self.ids
        if self.order == "asc":
            return at < mark
        top = _time(self.top)
        return top is not None and mark < at <= top  # later than the top: changed since, read again

    def finish(self, key: str, value: Any) -> None:
        """Note the parent read: one met in the list's order moves the mark, any other goes in `done`."""
        at, mark = _time(value), _time(self.mark)
        if self.order is None or at is None:
            in_order = False
        elif mark is None:
            in_order = True
        else:
            in_order = at >= mark if self.order == "asc" else at <= mark
        if not in_order:
            self.done[key] = value
            return
        if mark is None or at != mark:
            self.mark, self.ids = value, []
        self.top = self.top or (value if self.order == "desc" else None)
        self.ids.append(key)
        self.done.pop(key, None)

    def saved(self) -> State:
        mark = {"order": self.order, "cursor": self.mark, "ids": list(self.ids)}
        if self.top:
            mark["top"] = self.top
        return {"since": self.since, **({"mark": mark} if self.mark else {}), "done": dict(self.done)}


def read_children(connector: Connector, scope: str, stream: Stream, state: State) -> Iterator[Page]:
    """For each parent changed since the child's cursor, the parent's child list (module docstring)."""
    assert stream.parent is not None
    parent = connector.stream(stream.parent.stream)
    order = "asc" if parent.oldest_first else "desc" if parent.newest_first else None
    window = Window.resumed(state, order, connector.overlap_minutes)
    since = parse_time(window.since) if window.since else None
    before = {"cursor": state.get("cursor"), "read_at": state.get("read_at")}
    cursor = state.get("cursor")
    lacking = False
    for listed, read_at, final in _parents(connector, scope, parent, stream.name, since):
        for key, value, ref in listed:
            cursor = later(cursor, _time(value))
            if lacking or window.finished(key, value):
                continue
            children, absent = child_pages(connector, scope, stream, ref)
            if absent in stream.parent.lacking:  # so do the other parents': they are not asked
                lacking = True
                continue
            window.finish(key, value)
            progress = before | {"window": window.saved()}
            for number, records in enumerate(children, start=1):
                yield Page(records, progress if number == len(children) else None)
        if final:
            yield Page([], {"cursor": cursor, "read_at": read_at})


def _parents(
    connector: Connector, scope: str, parent: Stream, child: str, since: datetime | None
) -> Iterator[tuple[Iterator[Ref], str | None, bool]]:
    """The parents changed since `since`, page by page with when page one was answered and whether
    the list ends there: from the scope's `Listing` of the parent when it holds them, else walked
    (and kept for the child's siblings)."""
    kept = connector.listings.get((scope, parent.name))
    if kept is not None and kept.serves(child, since):
        kept.served.add(child)
        yield kept.refs(p for p in kept.parents if not _before(p[1], since)), kept.read_at, True
        kept.release(connector, scope, parent)
        return
    listing = Listing.kept(connector, scope, parent, since)
    assert listing is not None  # the parent of this child stream has a child stream
    listing.served.add(child)
    read_at = None
    params = since_params(connector, parent, since)
    for index, (page, records, final) in enumerate(walk(connector, scope, parent, params, since, None, None)):
        read_at = page.served_at if index == 0 else read_at
        yield listing.refs(listing.add(parent, shaped(parent, records), read_at, final)), read_at, final
    listing.release(connector, scope, parent)


def child_pages(
    connector: Connector, scope: str, stream: Stream, ref: Mapping[str, Any]
) -> tuple[list[Records], int | None]:
    """One parent's child list, page by page, each record carrying `_parent` (see `Parent`), and
    the status that said the list is absent (None when it answered). `ref`: the parent's fields."""
    assert stream.parent is not None
    ref = {key: ref.get(key) for key in stream.parent.keys}
    pages, absent = walked(
        stream.paging.pages(connector.client, connector.path(stream, scope, **ref), connector.params(stream))
    )
    if stream.parent.one_record:
        return [
            [{"_parent": ref, "items": [r for page in pages for r in shaped(stream, page.records)]}]
        ], absent
    return [[{**record, "_parent": ref} for record in shaped(stream, page.records)] for page in pages], absent


def _before(value: Any, since: datetime | None) -> bool:
    """Whether a parent listed at cursor `value` is older than the resume point (as `walk` drops)."""
    at = _time(value)
    return since is not None and at is not None and at < since


def _time(value: Any) -> datetime | None:
    return parse_time(value) if isinstance(value, str) else None
