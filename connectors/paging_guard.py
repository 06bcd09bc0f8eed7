"""A walk through a list's pages ends, whatever the server says next.

A paging loop follows the server: its `Link: rel="next"`, its `nextPageToken`, its `isLast`.
A broken or hostile server can point back at a page already read, hand out a new token forever,
or page far past the `total` it announced. `PageGuard` fails the walk when that happens:
- a page address (URL or token) seen before in the walk;
- `STALE_PAGES` pages in a row that bring no record id the last `RECENT_PAGES` pages had not
  brought (a loop through up to ~`RECENT_PAGES` pages of the same records; a longer one meets the
  page caps below, or the source's deadline);
- more pages than the largest `total` the server announced allows at the smallest page size seen
  (with some slack for lists that grow during the walk), or than `MAX_PAGES` when it announces none;
and it refuses a page whose records are not JSON objects (a `null` where a record should be).
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

from connectors.http import ConnectorError

MAX_PAGES = 100_000  # ten million records at a hundred a page: no tracker list we read is longer
STALE_PAGES = 3  # an edited record can come round again on a page; three whole pages of them cannot
# Whose ids a page is checked against: every id of a walk was ~13 MiB per 190k-event list, three
# lists at a time at 100k issues, the sync's memory growing with the data; these are ~10k ids.
RECENT_PAGES = 100
TOTAL_SLACK_PAGES = 10  # records added while the walk runs


class PagingLoop(ConnectorError):
    """The server's paging would not end: a page seen before, or pages that bring nothing new."""


class PageGuard:
    """Checks each page of one walk; `where` names the walk in messages (a redacted URL or path)."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.addresses: set[str] = set()
        self.recent: deque[set[Any]] = deque()  # the ids of each of the last pages, newest last
        self.known: dict[Any, int] = {}  # each of those ids: on how many of those pages
        self.pages = 0
        self.stale = 0
        self.total: int | None = None
        self.smallest_page = 0  # records on the smallest non-empty page: servers may lower their cap

    def follow(self, current: str, following: str, what: str) -> None:
        """From the page at `current` on to `following` (`what` names it: "next link", "nextPageToken")."""
        self.addresses.add(current)
        if following in self.addresses:
            raise PagingLoop(f"{self.where}: the {what} came back again (a page already read); stopping")

    def page(self, records: Any, total: Any = None) -> list[dict[str, Any]]:
        """One page's records, checked; raises ConnectorError when the walk should not go on."""
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise ConnectorError(f"{self.where}: a page holds {_shape(records)} where records should be")
        self.pages += 1
        if records:
            self.smallest_page = min(self.smallest_page or len(records), len(records))
        if isinstance(total, int) and total >= 0:
            self.total = max(self.total or 0, total)
        ids = {r["id"] for r in records if isinstance(r.get("id"), str | int)}
        if ids or not records:  # lists without ids cannot show progress: only the page caps hold
            self.stale = 0 if any(i not in self.known for i in ids) else self.stale + 1
            self._remember(ids)
        if self.stale >= STALE_PAGES:
            raise PagingLoop(f"{self.where}: {self.stale} pages in a row brought no record not read before")
        if self.pages > self._allowed():
            raise ConnectorError(
                f"{self.where}: more than {self._allowed()} pages{self._total_note()}; stopping"
            )
        return records

    def _remember(self, ids: set[Any]) -> None:
        self.recent.append(ids)
        for i in ids:
            self.known[i] = self.known.get(i, 0) + 1
        if len(self.recent) > RECENT_PAGES:
            for i in self.recent.popleft():
                self.known[i] -= 1
                if not self.known[i]:
                    del self.known[i]

    def _allowed(self) -> int:
        if self.total is None or not self.smallest_page:
            return MAX_PAGES
        return min(MAX_PAGES, math.ceil(self.total / self.smallest_page) + TOTAL_SLACK_PAGES)

    def _total_note(self) -> str:
        return f" (the server announced total={self.total})" if self.total is not None else ""


def json_kind(value: Any) -> str:
    """What a tracker sent, as a message names it: "a null", "a JSON str"."""
    return "a null" if value is None else f"a JSON {type(value).__name__}"


def _shape(records: Any) -> str:
    if not isinstance(records, list):
        return json_kind(records)
    return json_kind(next(r for r in records if not isinstance(r, dict)))
