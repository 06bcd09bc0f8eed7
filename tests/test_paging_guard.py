"""The paging guard's arithmetic (the walks themselves meet it in tests/reliability/test_hostile_http.py)."""

from __future__ import annotations

import pytest

from connectors.http import ConnectorError
from connectors.paging_guard import RECENT_PAGES, PageGuard, PagingLoop


def test_a_server_that_lowers_its_page_size_mid_walk_still_reaches_its_total() -> None:
    guard = PageGuard("GET /list")
    guard.page([{"id": n} for n in range(100)], total=1000)
    for start in range(100, 1000, 10):  # 90 pages of 10: 91 in all, over ceil(1000 / 100) + 10
        guard.page([{"id": n} for n in range(start, start + 10)], total=1000)
    with pytest.raises(ConnectorError, match=r"more than 110 pages \(the server announced total=1000\)"):
        for start in range(1000, 1200, 10):  # ceil(1000 / 10) + 10 = 110 pages, then no more
            guard.page([{"id": n} for n in range(start, start + 10)], total=1000)
    assert guard.pages == 111


def test_records_without_ids_cannot_look_stale_and_a_null_is_refused() -> None:
    guard = PageGuard("GET /list")
    for _ in range(10):
        guard.page([{"name": "same"}])
    with pytest.raises(ConnectorError, match=r"^GET /list: a page holds a null where records should be$"):
        guard.page([{"id": 1}, None])
    with pytest.raises(PagingLoop, match="the next link came back again"):
        guard.follow("a", "a", "next link")


def _pages(guard: PageGuard, starts: range) -> None:
    for start in starts:
        guard.page([{"id": n} for n in range(start, start + 100)])


def test_pages_bringing_back_recent_records_stop_the_walk_and_only_recent_ids_are_kept() -> None:
    guard = PageGuard("GET /list")
    _pages(guard, range(0, 30_000, 100))  # 300 pages of new records
    # What the guard holds does not grow with the list: the ids of its last RECENT_PAGES pages.
    assert len(guard.known) == RECENT_PAGES * 100 and len(guard.recent) == RECENT_PAGES
    _pages(guard, range(29_900, 29_700, -100))  # the last pages again, under new addresses
    assert guard.stale == 2
    with pytest.raises(PagingLoop, match="3 pages in a row brought no record not read before"):
        _pages(guard, range(29_700, 29_600, -100))


def test_records_from_before_the_recent_pages_count_as_new() -> None:
    """The price of the bound: a loop longer than RECENT_PAGES pages is left to the page caps and
    the source's deadline."""
    guard = PageGuard("GET /list")
    _pages(guard, range(0, 100 * (RECENT_PAGES + 5), 100))
    _pages(guard, range(0, 300, 100))  # the first three pages again: forgotten, so not stale
    assert guard.stale == 0
