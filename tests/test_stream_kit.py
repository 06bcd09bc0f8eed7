"""The stream kit over real HTTP on 127.0.0.1: each paging style, the incremental and append-only
reads, and a child stream killed mid-parents that resumes without re-reading a finished parent and
without skipping one. Every expected request list below is worked out from the served data by hand.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import parse_qsl

import pytest

from connectors.base import Connector, Page, Parent, Stream
from connectors.children import Window
from connectors.github import GitHubConnector
from connectors.http import ConnectorError
from connectors.paging import Keyset, Link, Offset, PageNumber, Single, Token
from connectors.paging_guard import PagingLoop
from tests.reliability.hostile import Answer, Hostile, quick_client

OLD = "2026-01-05T10:00:00Z"  # far older than the overlap window before any server Date


def body(value: Any, **headers: str) -> Answer:
    return Answer(json.dumps(value).encode(), headers=headers)


def query(text: str) -> dict[str, str]:
    return dict(parse_qsl(text))


def requests_made(home: Hostile) -> list[tuple[str, dict[str, str]]]:
    return [(r.path, query(r.query)) for r in home.received]


def toy(home: Hostile, streams: tuple[Stream, ...], **settings: Any) -> Connector:
    """A connector that is nothing but declarations, pointed at `home`."""

    class Toy(Connector):
        source_type: ClassVar[str] = "toy"

    Toy.streams = streams
    return Toy(quick_client(f"{home.url}/api"), {"per_page": 2, **settings})


def pages(connector: Connector, stream: Stream, state: dict | None = None) -> list[Page]:
    return list(connector.read("p", stream, state))


def ids(read: list[Page]) -> list[Any]:
    return [r["id"] for page in read for r in page.records]


# --- paging styles ---------------------------------------------------------------------------


def test_link_paging_follows_next_links_and_a_stored_etag_costs_one_304() -> None:
    def issues(path: str, text: str) -> Answer:
        page = int(query(text).get("page", "1"))
        link = {"Link": f'<{home.url}/api/list?page={page + 1}>; rel="next"'} if page < 3 else {}
        return body([{"id": page * 10}], ETag=f'"e{page}"', **link)

    with Hostile({"/api/list": issues}) as home:
        stream = Stream("list", "/list", cursor_field=None, params={"state": "all"}, etag=True)
        read = pages(toy(home, (stream,)), stream)
        assert ids(read) == [10, 20, 30]
        assert [p.state for p in read] == [None, None, {}]  # three pages: page one's ETag vouches for none
        assert requests_made(home) == [
            ("/api/list", {"state": "all", "per_page": "2"}),
            ("/api/list", {"page": "2"}),
            ("/api/list", {"page": "3"}),
        ]


def test_a_one_page_list_stores_its_etag_and_the_next_read_is_one_304() -> None:
    def answer(path: str, text: str) -> Answer:
        if home.received[-1].headers.get("if-none-match") == '"v1"':
            return Answer(b"", status=304)
        return body([{"id": 1}], ETag='"v1"')

    with Hostile({"/api/list": answer}) as home:
        stream = Stream("list", "/list", cursor_field=None, etag=True)
        connector = toy(home, (stream,))
        first = pages(connector, stream)
        assert [p.state for p in first] == [{"etag": '"v1"'}]
        again = pages(connector, stream, first[-1].state)
        assert [(p.records, p.state) for p in again] == [([], None)]  # nothing to commit
        assert len(home.received) == 2


def test_page_numbers_follow_x_next_page_until_it_is_empty() -> None:
    def answer(path: str, text: str) -> Answer:
        page = int(query(text)["page"])
        return body([{"id": page}], **{"X-Next-Page": str(page + 1) if page < 3 else ""})

    with Hostile({"/api/list": answer}) as home:
        stream = Stream("list", "/list", cursor_field=None, paging=PageNumber())
        assert ids(pages(toy(home, (stream,)), stream)) == [1, 2, 3]
        assert [q["page"] for _, q in requests_made(home)] == ["1", "2", "3"]


def test_offsets_advance_by_what_came_back_and_stop_at_the_total() -> None:
    values = [{"id": n} for n in range(5)]

    def answer(path: str, text: str) -> Answer:
        start = int(query(text)["startAt"])  # asked for 50, the server caps pages at 2
        return body({"startAt": start, "total": 5, "values": values[start : start + 2]})

    with Hostile({"/api/versions": answer}) as home:
        stream = Stream("versions", "/versions", cursor_field=None, paging=Offset())
        read = pages(toy(home, (stream,), per_page=50), stream)
        assert ids(read) == [0, 1, 2, 3, 4] and read[-1].state == {}
        # 0+2, 2+2, then 4+1 reaches the total of 5: no fourth, empty request
        assert [(q["startAt"], q["maxResults"]) for _, q in requests_made(home)] == [
            ("0", "50"),
            ("2", "50"),
            ("4", "50"),
        ]


def test_tokens_are_sent_back_until_is_last_and_a_repeated_one_stops_the_walk() -> None:
    tokens = {"": ("a", [1]), "a": ("b", [2]), "b": (None, [3])}

    def answer(path: str, text: str) -> Answer:
        following, found = tokens[query(text).get("nextPageToken", "")]
        return body(
            {"issues": [{"id": n} for n in found], "nextPageToken": following, "isLast": not following}
        )

    with Hostile({"/api/search": answer}) as home:
        stream = Stream("search", "/search", cursor_field=None, paging=Token())
        assert ids(pages(toy(home, (stream,)), stream)) == [1, 2, 3]
        assert [q.get("nextPageToken") for _, q in requests_made(home)] == [None, "a", "b"]

    tokens["b"] = ("a", [3])  # hands out a token already used
    with Hostile({"/api/search": answer}) as home, pytest.raises(PagingLoop, match="nextPageToken came back"):
        pages(toy(home, (stream,)), stream)


def test_keyset_asks_after_the_last_id_until_a_page_comes_back_empty() -> None:
    rows = [{"id": n} for n in (3, 5, 8)]

    def answer(path: str, text: str) -> Answer:
        after = int(query(text).get("id_after", "0"))
        return body([r for r in rows if r["id"] > after][:2])

    with Hostile({"/api/list": answer}) as home:
        stream = Stream("list", "/list", cursor_field=None, paging=Keyset("id_after"), params={"sort": "asc"})
        assert ids(pages(toy(home, (stream,)), stream)) == [3, 5, 8]
        assert [q.get("id_after") for _, q in requests_made(home)] == [None, "5", "8"]


def test_single_is_one_request_and_a_path_takes_the_connectors_values() -> None:
    class Site(Connector):
        source_type: ClassVar[str] = "toy"
        streams: ClassVar[tuple[Stream, ...]] = (
            Stream("statuses", "/rest/{api}/status", cursor_field=None, paging=Single(), site_wide=True),
        )

        def scopes(self) -> list[str]:
            return ["p", "q"]

        def path_values(self) -> dict[str, Any]:
            return {"api": "9"}

    with Hostile({"/api/rest/9/status": body([{"id": "s"}])}) as home:
        site = Site(quick_client(f"{home.url}/api"), {})
        read = {scope: list(site.read(scope, Site.streams[0], None)) for scope in site.scopes()}
        assert [(p.records, p.state) for p in read["p"]] == [([{"id": "s"}], {})]
        assert read["q"] == []  # site-wide: read under the first scope only
        assert requests_made(home) == [("/api/rest/9/status", {})]


# --- incremental and append-only ---------------------------------------------------------------

ISSUES = Stream(
    "issues",
    "/projects/{scope}/issues",
    params={"order_by": "updated_at", "sort": "asc"},
    cursor_param="updated_after",
    cursor_params={"scope": "all"},
)


def test_an_incremental_read_sends_its_cursor_only_after_a_first_read() -> None:
    served = [{"id": 1, "updated_at": "2026-01-05T09:00:00Z"}, {"id": 2, "updated_at": OLD}]
    with Hostile({"/api/projects/p/issues": body(served)}) as home:
        connector = toy(home, (ISSUES,))
        first = pages(connector, ISSUES)
        state = first[-1].state
        assert state is not None and state["cursor"] == OLD
        read_at = datetime.fromisoformat(state["read_at"])
        assert abs(read_at - datetime.now(UTC)) < timedelta(minutes=1)
        pages(connector, ISSUES, state)
        # the cursor is older than the overlap window before the server's answer: one second after it
        assert requests_made(home) == [
            ("/api/projects/p/issues", {"order_by": "updated_at", "sort": "asc", "per_page": "2"}),
            (
                "/api/projects/p/issues",
                {
                    "order_by": "updated_at",
                    "sort": "asc",
                    "per_page": "2",
                    "scope": "all",
                    "updated_after": "2026-01-05T10:00:01Z",
                },
            ),
        ]


def test_an_append_only_list_stops_at_the_highest_id_stored() -> None:
    events = [{"id": n, "created_at": OLD} for n in (9, 8, 7, 6)]
    stream = Stream("events", "/events", cursor_field="created_at", newest_first=True, append_only=True)

    def answer(path: str, text: str) -> Answer:
        page = int(query(text).get("page", "1"))
        link = {"Link": f'<{home.url}/api/events?page={page + 1}>; rel="next"'} if page < 2 else {}
        return body(events[(page - 1) * 2 : page * 2], **link)

    with Hostile({"/api/events": answer}) as home:
        read = pages(toy(home, (stream,)), stream, {"last_id": "7", "cursor": OLD})
        assert ids(read) == [9, 8]
        assert read[-1].state == {"read_at": read[-1].state["read_at"], "cursor": OLD, "last_id": 9}
        assert len(home.received) == 2  # page two holds 7: the walk ends there, with no third request


# --- child streams -----------------------------------------------------------------------------

EVENTS = Stream(
    "state_events",
    "/projects/{scope}/issues/{iid}/resource_state_events",
    cursor_field="created_at",
    parent=Parent("issues", keys=("id", "iid")),
)


class Tracker:
    """Three issues; each has state events over one or two pages (per_page=2)."""

    def __init__(self) -> None:
        self.issues = [
            {"id": 101, "iid": 1, "updated_at": "2026-01-05T08:00:00Z"},
            {"id": 102, "iid": 2, "updated_at": "2026-01-05T09:00:00Z"},
            {"id": 103, "iid": 3, "updated_at": OLD},
        ]
        self.events = {1: [11, 12, 13], 2: [21], 3: []}

    def routes(self) -> dict[str, Any]:
        routes: dict[str, Any] = {"/api/projects/p/issues": self.list_issues}
        for iid in self.events:
            routes[f"/api/projects/p/issues/{iid}/resource_state_events"] = self.list_events
        return routes

    def list_issues(self, path: str, text: str) -> Answer:
        after = query(text).get("updated_after")
        listed = [i for i in self.issues if after is None or i["updated_at"] >= after]  # sorted as asked
        newest_first = query(text)["sort"] == "desc"
        return body(sorted(listed, key=lambda i: (i["updated_at"], i["id"]), reverse=newest_first))

    def list_events(self, path: str, text: str) -> Answer:
        iid, page = int(path.split("/")[-2]), int(query(text).get("page", "1"))
        found = self.events[iid][(page - 1) * 2 : page * 2]
        following = len(self.events[iid]) > page * 2
        link = {"Link": f'<{path}?page={page + 1}>; rel="next"'} if following else {}
        return body([{"id": n, "created_at": OLD} for n in found], **link)


def child_requests(home: Hostile) -> list[str]:
    """The requests as `issues` (the parent listing) or the iid whose events (state events; label
    events: `labels`) were read (with page)."""
    made = []
    for path, asked in requests_made(home):
        if path.endswith("/issues"):
            made.append("issues" + (f" after {asked['updated_after']}" if "updated_after" in asked else ""))
        else:
            kind = "labels" if path.endswith("/resource_label_events") else "events"
            made.append(f"{kind} {path.split('/')[-2]}" + (f" p{asked['page']}" if "page" in asked else ""))
    return made


def kill_after(read: Iterator[Page], done_parents: int) -> dict:
    """Read until `done_parents` parents' last pages came (each commits its state); the run dies there."""
    finished = 0
    for page in read:
        if page.state is not None and "window" in page.state:
            finished += 1
            if finished == done_parents:
                return page.state
    raise AssertionError("the read ended first")


def test_a_child_stream_reads_each_parent_once_and_commits_a_parent_with_its_last_page() -> None:
    tracker = Tracker()
    with Hostile(tracker.routes()) as home:
        read = pages(toy(home, (ISSUES, EVENTS)), EVENTS)
        assert child_requests(home) == ["issues", "events 1", "events 1 p2", "events 2", "events 3"]
        assert [[r["id"] for r in p.records] for p in read] == [[11, 12], [13], [21], [], []]
        assert read[2].records == [{"id": 21, "created_at": OLD, "_parent": {"id": 102, "iid": 2}}]
        window = {"since": None, "done": {"101": "2026-01-05T08:00:00Z"}}
        assert read[0].state is None and read[1].state == {"cursor": None, "read_at": None, "window": window}
        assert read[-1].state == {"cursor": OLD, "read_at": read[-1].state["read_at"]}


# The parent list's declared order, the requests and the progress of the run killed after two
# parents, then the requests of the resumed run (issue 1 changed while the run was down).
ORDERS = {
    "unordered": (
        {},
        ["issues", "events 1", "events 1 p2", "events 2"],
        {"done": {"101": "2026-01-05T08:00:00Z", "102": "2026-01-05T09:00:00Z"}},
        # the window again (now 2, 3, 1): 2 done at that updated_at; 3 never read; 1 changed
        ["issues", "events 3", "events 1", "events 1 p2"],
    ),
    "oldest_first": (
        {"oldest_first": True},
        ["issues", "events 1", "events 1 p2", "events 2"],
        {"mark": {"order": "asc", "cursor": "2026-01-05T09:00:00Z", "ids": ["102"]}, "done": {}},
        ["issues", "events 3", "events 1", "events 1 p2"],  # 2 is the mark; 3 and 1 are past it
    ),
    "newest_first": (
        {"newest_first": True, "params": {"order_by": "updated_at", "sort": "desc"}},
        ["issues", "events 3", "events 2"],
        {
            "mark": {"order": "desc", "cursor": "2026-01-05T09:00:00Z", "ids": ["102"], "top": OLD},
            "done": {},
        },
        ["issues", "events 1", "events 1 p2"],  # 1 is newer than the top: changed; 3 and 2 in range
    ),
}


@pytest.mark.parametrize("order", sorted(ORDERS))
def test_a_child_stream_killed_mid_parents_resumes_without_rereading_or_skipping_one(order: str) -> None:
    declared, killed_after, progress, resumed_with = ORDERS[order]
    tracker = Tracker()
    with Hostile(tracker.routes()) as home:
        connector = toy(home, (replace(ISSUES, **declared), EVENTS))
        committed = kill_after(connector.read("p", EVENTS, None), done_parents=2)
        assert child_requests(home) == killed_after
        assert committed == {"cursor": None, "read_at": None, "window": {"since": None, **progress}}

        home.received.clear()
        tracker.issues[0]["updated_at"] = "2026-01-05T11:00:00Z"
        resumed = pages(connector, EVENTS, committed)
        assert child_requests(home) == resumed_with
        assert resumed[-1].state is not None and resumed[-1].state["cursor"] == "2026-01-05T11:00:00Z"

        home.received.clear()
        pages(connector, EVENTS, resumed[-1].state)
        # a quiet tracker: the next window starts a second after the newest parent read, nothing is in it
        assert child_requests(home) == ["issues after 2026-01-05T11:00:01Z"]


LABELS = replace(EVENTS, name="label_events", path="/projects/{scope}/issues/{iid}/resource_label_events")


def sibling_routes(tracker: Tracker) -> dict[str, Any]:
    """The tracker's routes, and its events served as label events too."""
    labels = {
        f"/api/projects/p/issues/{iid}/resource_label_events": tracker.list_events for iid in tracker.events
    }
    return tracker.routes() | labels


def sync(connector: Connector, states: dict[str, Any]) -> dict[str, list[Page]]:
    """Every stream of the scope in declared order, as the pipeline reads them; `states` advanced."""
    read = {}
    for stream in connector.streams:
        read[stream.name] = pages(connector, stream, states.get(stream.name))
        states[stream.name] = next((p.state for p in reversed(read[stream.name]) if p.state), None)
    return read


def test_sibling_child_streams_share_their_parents_walk_and_a_quiet_sync_lists_once() -> None:
    tracker = Tracker()
    with Hostile(sibling_routes(tracker)) as home:
        connector, states = toy(home, (ISSUES, EVENTS, LABELS)), {}
        first = sync(connector, states)
        # the issues stream's one walk (3 issues fit one page) serves both event streams
        assert child_requests(home) == ["issues"] + [
            f"{kind} {n}" for kind in ("events", "labels") for n in ("1", "1 p2", "2", "3")
        ]
        assert [ids(first[name]) for name in ("state_events", "label_events")] == [[11, 12, 13, 21]] * 2
        # each child commits the walk's newest issue and its answer time, as if it had walked it
        assert (
            states["state_events"]
            == states["label_events"]
            == {"cursor": OLD, "read_at": states["issues"]["read_at"]}
        )

        home.received.clear()
        sync(connector, states)  # a quiet sync on the same connector: the new walk serves both again
        assert child_requests(home) == ["issues after 2026-01-05T10:00:01Z"]
        assert states["state_events"]["read_at"] == states["issues"]["read_at"]

        home.received.clear()
        tracker.issues[1]["updated_at"] = "2026-01-05T11:00:00Z"
        again = sync(connector, states)
        assert child_requests(home) == ["issues after 2026-01-05T10:00:01Z", "events 2", "labels 2"]
        assert ids(again["label_events"]) == [21]
        assert states["label_events"]["cursor"] == states["issues"]["cursor"] == "2026-01-05T11:00:00Z"


def test_a_child_behind_its_parent_walks_the_list_once_for_itself_and_its_sibling() -> None:
    tracker = Tracker()
    with Hostile(sibling_routes(tracker)) as home:
        states: dict[str, Any] = {"issues": pages(toy(home, (ISSUES, EVENTS, LABELS)), ISSUES)[-1].state}
        dead = toy(home, (ISSUES, EVENTS, LABELS))
        # the run dies once issue 1's events are committed, before the label events are read
        states["state_events"] = kill_after(dead.read("p", EVENTS, None), done_parents=1)

        home.received.clear()
        resumed = sync(toy(home, (ISSUES, EVENTS, LABELS)), states)
        # issues from its cursor (nothing new); the state events' window from the start, walked
        # once: issue 1 is not read again, and the label events (a first read) take the same walk
        assert child_requests(home) == [
            "issues after 2026-01-05T10:00:01Z",
            "issues",
            "events 2",
            "events 3",
            "labels 1",
            "labels 1 p2",
            "labels 2",
            "labels 3",
        ]
        assert ids(resumed["state_events"]) == [21] and ids(resumed["label_events"]) == [11, 12, 13, 21]
        assert states["state_events"] == states["label_events"] and "window" not in states["label_events"]


def test_a_parent_walk_cut_short_serves_no_child() -> None:
    tracker = Tracker()

    def keyset(path: str, text: str) -> Answer:
        after = int(query(text).get("id_after", "0"))
        return body([i for i in tracker.issues if i["id"] > after][:2])

    with Hostile(tracker.routes() | {"/api/projects/p/issues": keyset}) as home:
        issues = replace(ISSUES, paging=Keyset("id_after"))
        connector = toy(home, (issues, EVENTS))
        walk = connector.read("p", issues, None)
        next(walk)  # issues 1 and 2; the run stops before the page holding 3
        walk.close()
        read = pages(connector, EVENTS)
        # the events walk the issues themselves: a listing without 3 would skip its events
        assert child_requests(home) == [
            "issues",
            "issues",
            "events 1",
            "events 1 p2",
            "events 2",
            "issues",
            "events 3",
            "issues",
        ]
        assert ids(read) == [11, 12, 13, 21]


@pytest.mark.parametrize(("status", "asked"), [(403, ["1"]), (404, ["1", "2", "3"])])
def test_a_child_list_the_scope_lacks_is_asked_of_one_parent_only(status: int, asked: list[str]) -> None:
    tracker = Tracker()
    refused = Answer(b'{"message": "refused"}', status=status)
    routes = {f"/api/projects/p/issues/{iid}/resource_iteration_events": refused for iid in tracker.events}
    iterations = Stream(
        "iteration_events",
        "/projects/{scope}/issues/{iid}/resource_iteration_events",
        cursor_field="created_at",
        paging=Link(ok=frozenset({403, 404})),
        parent=Parent("issues", keys=("id", "iid"), lacking=frozenset({403})),
    )
    with Hostile(tracker.routes() | routes) as home:
        read = pages(toy(home, (ISSUES, iterations)), iterations)
        # a 403 says the tier lacks the list: the other issues are not asked; a 404 may be one
        # issue's own (deleted since it was listed): each is asked
        assert [path.split("/")[-2] for path, _ in requests_made(home)[1:]] == asked
        assert [(p.records, p.state) for p in read] == [
            ([], {"cursor": OLD, "read_at": read[-1].state["read_at"]})
        ]


def test_a_child_list_without_ids_lands_as_one_record_keyed_by_its_parent() -> None:
    tracker = Tracker()
    closes = Stream(
        "closes",
        "/projects/{scope}/issues/{iid}/resource_state_events",
        primary_key="_parent.id",
        cursor_field=None,
        parent=Parent("issues", keys=("id", "iid"), one_record=True),
    )
    with Hostile(tracker.routes()) as home:
        connector = toy(home, (ISSUES, closes))
        read = pages(connector, closes)
        first = read[0].records
        assert [len(p.records) for p in read] == [1, 1, 1, 0]  # the two pages of issue 1 land as one
        assert first == [
            {"_parent": {"id": 101, "iid": 1}, "items": [{"id": n, "created_at": OLD} for n in (11, 12, 13)]}
        ]
        assert connector.record_key(closes, first[0]).id == "101"
        assert [p.records[0]["items"] for p in read[1:3]] == [[{"id": 21, "created_at": OLD}], []]


# --- declarations checked --------------------------------------------------------------------


def test_a_record_without_its_key_fails_the_source_with_the_streams_name() -> None:
    with pytest.raises(ConnectorError, match=r"^closes: a record without its key _parent.id$"):
        Connector.record_key(
            Connector.__new__(Connector), Stream("closes", "/x", primary_key="_parent.id"), {"items": []}
        )


@pytest.mark.parametrize(("value", "named"), [(None, "a null"), ("x", "a JSON str"), (7, "a JSON int")])
def test_a_value_that_is_no_record_fails_naming_what_it_is(value: Any, named: str) -> None:
    # a hook's list that did not pass the page guard still cannot land a null as a record
    with pytest.raises(ConnectorError, match=rf"^fields: {named} where a record belongs$"):
        Connector.record_key(Connector.__new__(Connector), Stream("fields", "/x"), value)


def test_a_declaration_naming_a_missing_hook_or_a_later_parent_fails_at_import() -> None:
    with pytest.raises(TypeError, match="stream a names no method read_a"):

        class Hooked(Connector):
            streams: ClassVar[tuple[Stream, ...]] = (Stream("a", "/a", reader="read_a"),)

    with pytest.raises(TypeError, match="parent issues must be declared before it"):

        class Orphan(Connector):
            streams: ClassVar[tuple[Stream, ...]] = (EVENTS, ISSUES)

    with pytest.raises(TypeError, match="parent state_events must be .* not be a child stream itself"):

        class Grandchild(Connector):
            streams: ClassVar[tuple[Stream, ...]] = (
                ISSUES,
                EVENTS,
                Stream("notes", "/notes/{id}", parent=Parent("state_events")),
            )


def test_the_page_size_is_the_sources_per_page_else_the_styles_and_none_for_a_single_get() -> None:
    with Hostile({}) as home:
        connector = toy(home, (), per_page=7)
        assert connector.params(Stream("a", "/a", params={"x": 1})) == {"x": 1, "per_page": 7}
        assert connector.params(Stream("b", "/b", paging=Single())) == {}
        plain = toy(home, ())
        plain.settings = {}
        assert plain.params(Stream("c", "/c", paging=Offset())) == {"maxResults": 50}
        assert plain.params(Stream("d", "/d", paging=Link())) == {"per_page": 100}


def test_a_mark_covers_the_parents_before_it_and_only_the_ids_done_at_its_own_time() -> None:
    window = Window(since=None, order="asc")
    for key, at in (("7", OLD), ("3", "2026-01-05T10:30:00Z"), ("4", "2026-01-05T10:30:00Z")):
        window.finish(key, at)
    window.finish("9", "2026-01-05T09:00:00Z")  # behind the mark: an unsorted straggler
    assert window.saved() == {
        "since": None,
        "mark": {"order": "asc", "cursor": "2026-01-05T10:30:00Z", "ids": ["3", "4"]},
        "done": {"9": "2026-01-05T09:00:00Z"},
    }
    assert window.finished("1", OLD)  # before the mark: listed and read before it
    assert window.finished("4", "2026-01-05T10:30:00Z")
    assert not window.finished("5", "2026-01-05T10:30:00Z")  # a tie of the mark not read yet
    assert not window.finished("3", "2026-01-05T10:31:00Z")  # changed since it was read


def test_a_descending_mark_covers_from_the_first_parent_read_down_to_it() -> None:
    window = Window(since=None, order="desc")
    for key, at in (("5", "2026-01-05T12:00:00Z"), ("6", OLD)):
        window.finish(key, at)
    assert window.finished("8", "2026-01-05T11:00:00Z")  # between the mark and the top
    assert not window.finished("9", "2026-01-05T12:00:01Z")  # newer than the top: changed since
    assert not window.finished("2", "2026-01-05T09:00:00Z")  # past the mark: not reached yet
    assert Window.resumed({"window": window.saved()}, "asc", 10).mark is None  # the order changed


def test_an_oldest_first_list_commits_its_cursor_page_by_page_and_resumes_from_it() -> None:
    issues = [{"id": n, "updated_at": f"2026-01-05T0{n}:00:00Z"} for n in (1, 2, 3)]
    stream = replace(ISSUES, oldest_first=True, paging=Keyset("id_after"))

    def answer(path: str, text: str) -> Answer:
        asked = query(text)
        after, since = int(asked.get("id_after", "0")), asked.get("updated_after", "")
        return body([i for i in issues if i["id"] > after and i["updated_at"] >= since][:2])

    with Hostile({"/api/projects/p/issues": answer}) as home:
        connector = toy(home, (stream,))
        read = connector.read("p", stream, None)
        first = next(read)
        assert [r["id"] for r in first.records] == [1, 2] and first.state == {
            "cursor": "2026-01-05T02:00:00Z"
        }
        read.close()  # the run dies after committing page one
        resumed = pages(connector, stream, first.state)
        assert ids(resumed) == [2, 3]  # no read_at: from the cursor less the overlap, so 2 is read again
        # the dead run's one page; then the resumed walk: 2 and 3, and the empty page after 3
        assert [(q.get("updated_after"), q.get("id_after")) for _, q in requests_made(home)] == [
            (None, None),
            ("2026-01-05T01:50:00Z", None),
            ("2026-01-05T01:50:00Z", "3"),
        ]


def test_the_default_census_walks_the_census_stream_whole_without_its_cursor() -> None:
    def answer(path: str, text: str) -> Answer:
        page = int(query(text).get("page", "1"))
        link = {"Link": f'<{home.url}/api/projects/p/issues?page=2>; rel="next"'} if page == 1 else {}
        return body([{"id": 2 * page - 1, "updated_at": OLD}, {"id": 2 * page, "updated_at": OLD}], **link)

    with Hostile({"/api/projects/p/issues": answer}) as home:
        shaped_issues = replace(ISSUES, shape=lambda records: [r for r in records if r["id"] != 3])
        assert toy(home, (shaped_issues,)).census("p") == {"1", "2", "4"}  # the shape drops 3
        assert requests_made(home) == [
            ("/api/projects/p/issues", {"order_by": "updated_at", "sort": "asc", "per_page": "2"}),
            ("/api/projects/p/issues", {"page": "2"}),
        ]


def test_a_list_a_free_tier_refuses_lands_nothing_and_commits_an_empty_state() -> None:
    refused = Answer(b'{"message": "403 Forbidden"}', status=403)
    with Hostile({"/api/groups/g/iterations": refused}) as home:
        absent = Stream(
            "iterations", "/groups/g/iterations", cursor_field=None, paging=Link(ok=frozenset({403}))
        )
        connector = toy(home, (absent,))
        assert [(p.records, p.state) for p in pages(connector, absent)] == [([], {})]
        with pytest.raises(ConnectorError, match="403"):  # not declared absent: the source fails
            pages(connector, replace(absent, paging=Link()))
        assert len(home.received) == 2


def test_a_refusal_after_page_one_fails_the_walk_rather_than_cut_the_list_short() -> None:
    def answer(path: str, text: str) -> Answer:
        if query(text).get("page") == "2":
            return Answer(b'{"message": "403 Forbidden"}', status=403)
        return body([{"id": 1}], Link=f'<{home.url}/api/groups/g/iterations?page=2>; rel="next"')

    with Hostile({"/api/groups/g/iterations": answer}) as home:
        absent = Stream(
            "iterations", "/groups/g/iterations", cursor_field=None, paging=Link(ok=frozenset({403}))
        )
        with pytest.raises(ConnectorError, match="403"):
            pages(toy(home, (absent,)), absent)
        assert len(home.received) == 2


def test_a_github_issues_state_written_before_the_kit_resumes_with_the_same_conditional_request() -> None:
    # what the connector stored before the kit (ops.sync_state is JSON: per_page is a number)
    since = "2026-01-05T10:00:01Z"  # the cursor is older than read_at less the overlap: a second after it
    old = {
        "etag_params": {
            "state": "all",
            "sort": "updated",
            "direction": "desc",
            "per_page": 2,
            "since": since,
        },
        "etag": 'W/"abc"',
        "read_at": "2026-01-05T12:00:00+00:00",
        "cursor": "2026-01-05T10:00:00Z",
    }

    def answer(path: str, text: str) -> Answer:
        unchanged = home.received[-1].headers.get("if-none-match") == 'W/"abc"'
        return Answer(b"", status=304) if unchanged else body([])

    with Hostile({"/api/repos/o/r/issues": answer}) as home:
        github = GitHubConnector(quick_client(f"{home.url}/api"), {"repos": ["o/r"], "per_page": 2})
        issues = github.stream("issues")
        assert [(p.records, p.state) for p in github.read("o/r", issues, json.loads(json.dumps(old)))] == [
            ([], None)
        ]
        assert requests_made(home) == [
            ("/api/repos/o/r/issues", {k: str(v) for k, v in old["etag_params"].items()})
        ]
