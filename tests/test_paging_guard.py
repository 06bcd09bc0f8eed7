"""The paging guard's arithmetic (the walks themselves meet it in tests/reliability/test_hostile_http.py)."""

from __future__ import annotations

import pytest

from connectors.http import ConnectorError
from connectors.paging_guard import PageGuard, PagingLoop


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
