"""GitHub REST connector: issues, pull requests, milestones and repo issue events per repo.

What it gets right that incumbents did not (see shared spec trackers.md):
- `since` is omitted on a first run (never `1970-01-01`, which has returned empty lists);
- the issues list mixes in pull requests: they are dropped here and read from /pulls, which has
  the branch name and merge time;
- milestones keep `due_on`;
- every list is re-read with `If-None-Match`, so an unchanged repo costs one 304 per stream, and
  304s do not count against the rate limit.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar

from connectors.base import (
    Connector,
    Fetched,
    Page,
    State,
    Stream,
    fetch_link_pages,
    format_time,
    overlap,
    parse_time,
)
from connectors.http import HttpClient

API_VERSION = "2022-11-28"


class GitHubConnector(Connector):
    source_type: ClassVar[str] = "github"
    streams: ClassVar[tuple[Stream, ...]] = (
        Stream(
            "issues",
            "/repos/{scope}/issues",
            params={"state": "all", "sort": "updated", "direction": "asc"},
        ),
        Stream(
            "pull_requests",
            "/repos/{scope}/pulls",
            params={"state": "all", "sort": "updated", "direction": "desc"},
            newest_first=True,
        ),
        Stream(
            "milestones",
            "/repos/{scope}/milestones",
            cursor_field=None,
            params={"state": "all", "sort": "due_on", "direction": "asc"},
        ),
        Stream(
            "issue_events",
            "/repos/{scope}/issues/events",
            cursor_field="created_at",
            newest_first=True,
        ),
    )

    @classmethod
    def client_for(cls, settings: Mapping[str, Any], token: str) -> HttpClient:
        headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": "trackerlake",
        }
        return HttpClient.for_source({"base_url": "https://api.github.com", **settings}, headers)

    def scopes(self) -> list[str]:
        return list(self.settings["repos"])

    def check(self) -> None:
        """One cheap request per repo: the token works and the repo is visible."""
        for scope in self.scopes():
            self.client.request("GET", f"/repos/{scope}/milestones", params={"per_page": 1})

    def census(self, scope: str) -> set[str]:
        """Ids of every issue now in the repo (pull requests left out); a full list, so run on a cadence.

        Deleted and transferred issues vanish from lists without a trace an incremental read can see.
        """
        params = {"state": "all", "per_page": 100}
        pages = fetch_link_pages(self.client, f"/repos/{scope}/issues", params)
        return {str(r["id"]) for page in pages for r in page.records if "pull_request" not in r}

    def read(self, scope: str, stream: Stream, state: State | None) -> Iterator[Page]:
        state = state or {}
        params = {**stream.params, "per_page": int(self.settings.get("per_page", 100))}
        path = stream.path.format(scope=scope)
        if stream.name == "issues":
            yield from self._read_oldest_first(path, params, state, stream)
        elif stream.name == "milestones":
            yield from self._read_full(path, params, state)
        else:
            yield from self._read_newest_first(path, params, state, stream)

    def _read_oldest_first(
        self, path: str, params: dict[str, Any], state: State, stream: Stream
    ) -> Iterator[Page]:
        """Issues by updated_at ascending, each page asked for `since` the newest one already read.

        Numbered pages over a list sorted on a changing field skip rows: an issue updated after its
        page was read moves to the end, and every row behind it shifts back one place, under the
        next page's offset. Asking each page afresh from the newest `updated_at` read so far skips
        none (ties at that second are read twice, harmlessly), so that `updated_at` is a cursor safe
        to commit with every page. For the one exception, see `SinceWalk`.
        """
        cursor = state.get("cursor")
        if cursor is None:
            yield from self._read_first(path, params, stream)
            return
        since = overlap(cursor, float(self.settings.get("overlap_minutes", 10)))
        query = {**params, **({"since": format_time(since)} if since is not None else {})}
        etag = state.get("etag") if state.get("etag_params") == query else None
        walk = SinceWalk(self.client, path, params, stream)
        for index, page in enumerate(walk.pages(query, etag)):
            if page.not_modified:
                yield Page([], None)
                return
            cursor = _later(cursor, _newest(page.records, stream))
            new_state: State = {"cursor": walk.held(cursor)}
            # A 304 on an oldest-first list proves nothing changed only when it fits on one page.
            if index == 0 and page.next_url is None:
                new_state |= {"etag": page.etag, "etag_params": query}
            yield Page(_issues_only(page.records), new_state)
        if walk.held(cursor) != cursor and not walk.edited:
            yield Page([], {"cursor": cursor})  # nothing moved while the wall was crossed

    def _read_first(self, path: str, params: dict[str, Any], stream: Stream) -> Iterator[Page]:
        """A first read: every issue, oldest first, through the Link header's numbered pages.

        Numbered pages cost exactly one request per hundred issues, but an issue edited after its
        page was read moves to the end of the list and every issue behind it one place back: the
        one that slid under the page boundary is skipped. The edited issue shows up again at the
        end, so the walk knows; it then reads `since` that issue's old `updated_at`, a query no
        move can fool. The cursor is committed only once the walk is known to be whole.
        """
        seen: dict[Any, str] = {}
        moved_from: datetime | None = None
        cursor: str | None = None
        for index, page in enumerate(fetch_link_pages(self.client, path, params)):
            for record in page.records:
                updated = record.get(stream.cursor_field)
                before = seen.setdefault(record["id"], updated)
                if before != updated and before:
                    moved_from = min(parse_time(before), moved_from or parse_time(before))
                seen[record["id"]] = updated
            cursor = _later(cursor, _newest(page.records, stream))
            new_state: State | None = None
            if page.next_url is None and moved_from is None:
                new_state = {"cursor": cursor}
                if index == 0:  # a first read that fits on one page: its ETag proves "unchanged"
                    new_state |= {"etag": page.etag, "etag_params": params}
            yield Page(_issues_only(page.records), new_state)
        if moved_from is not None:
            yield from self._read_oldest_first(path, params, {"cursor": format_time(moved_from)}, stream)

    def _read_newest_first(
        self, path: str, params: dict[str, Any], state: State, stream: Stream
    ) -> Iterator[Page]:
        """Lists without `since` (pulls, events), newest first: read until the cursor, state at the end.

        Pull requests stop at the stored updated_at minus the overlap; events are immutable and
        stop at the highest event id already stored.
        """
        is_events = stream.name == "issue_events"
        stop_id = int(state["last_id"]) if is_events and state.get("last_id") else None
        stop_time = (
            None
            if is_events
            else overlap(state.get("cursor"), float(self.settings.get("overlap_minutes", 10)))
        )
        cursor, last_id, etag = state.get("cursor"), state.get("last_id"), None
        for index, page in enumerate(fetch_link_pages(self.client, path, params, state.get("etag"))):
            if page.not_modified:
                yield Page([], None)
                return
            if index == 0:
                etag = page.etag
            keep = []
            done = False
            for record in page.records:
                if stop_id is not None and int(record["id"]) <= stop_id:
                    done = True
                    break
                value = record.get(stream.cursor_field)
                if stop_time is not None and value and parse_time(value) < stop_time:
                    done = True
                    break
                keep.append(_with_issue_reference(record) if is_events else record)
                if value and (cursor is None or parse_time(value) > parse_time(cursor)):
                    cursor = value
                if is_events and (last_id is None or int(record["id"]) > int(last_id)):
                    last_id = record["id"]
            final = done or page.next_url is None
            new_state = {"cursor": cursor, "etag": etag} | ({"last_id": last_id} if is_events else {})
            yield Page(keep, new_state if final else None)
            if final:
                return

    def _read_full(self, path: str, params: dict[str, Any], state: State) -> Iterator[Page]:
        """Milestones: the whole list each run (a few per repo); the state is just the ETag."""
        pages = fetch_link_pages(self.client, path, params, state.get("etag"))
        for index, page in enumerate(pages):
            if page.not_modified:
                yield Page([], None)
                return
            single = index == 0 and page.next_url is None
            yield Page(
                page.records, ({"etag": page.etag} if single else {}) if page.next_url is None else None
            )


class SinceWalk:
    """The pages of an oldest-first issues list, each asked `since` the newest `updated_at` read.

    More than a page of issues updated in one second (a wall) cannot be paged by `since`: the wall
    is followed through the Link header, then `since` resumes the second after it. Numbered pages
    through the wall skip one of its rows if another is edited meanwhile (it leaves the wall for
    the end of the list), so once a wall was crossed the cursor is `held` at the wall's second,
    and released at the end of the walk only if no issue came back `edited`.
    """

    def __init__(self, client: HttpClient, path: str, params: dict[str, Any], stream: Stream) -> None:
        self.client, self.path, self.params, self.stream = client, path, params, stream
        self.wall: datetime | None = None
        self.edited = False
        self._seen: dict[Any, Any] = {}

    def pages(self, query: dict[str, Any], etag: str | None) -> Iterator[Fetched]:
        while True:
            page = self._noted(next(fetch_link_pages(self.client, self.path, query, etag)))
            yield page
            newest = _newest(page.records, self.stream)
            if page.not_modified or page.next_url is None or newest is None:
                return
            if format_time(newest) == query.get("since"):
                self.wall = self.wall or newest
                for walled in fetch_link_pages(self.client, page.next_url, {}):
                    yield self._noted(walled)
                    if walled.next_url is None:
                        return
                    if (_newest(walled.records, self.stream) or newest) > newest:
                        break
                newest += timedelta(seconds=1)
            query, etag = {**self.params, "since": format_time(newest)}, None

    def held(self, cursor: str | None) -> str | None:
        """The cursor safe to commit: no later than the wall's second once a wall was crossed."""
        if self.wall is None or cursor is None or parse_time(cursor) <= self.wall:
            return cursor
        return format_time(self.wall)

    def _noted(self, page: Fetched) -> Fetched:
        """Note each issue's updated_at: one that comes back with another was edited mid-walk."""
        for record in page.records:
            updated = record.get(self.stream.cursor_field)
            self.edited |= self._seen.setdefault(record["id"], updated) != updated
            self._seen[record["id"]] = updated
        return page


def _newest(records: list[dict[str, Any]], stream: Stream) -> datetime | None:
    """The latest cursor value among a page's records (pull requests included: they share the order)."""
    return max(
        (parse_time(r[stream.cursor_field]) for r in records if r.get(stream.cursor_field)), default=None
    )


def _later(cursor: str | None, candidate: datetime | None) -> str | None:
    """The cursor moved forward to `candidate`, never back; stored as GitHub writes times."""
    if candidate is None or (cursor is not None and candidate <= parse_time(cursor)):
        return cursor
    return format_time(candidate)


def _issues_only(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issues list mixes in pull requests; they are read from /pulls, which has more."""
    return [r for r in records if "pull_request" not in r]


def _with_issue_reference(event: dict[str, Any]) -> dict[str, Any]:
    """The event with its embedded issue cut to what identifies it: id, number, pull_request.

    GitHub embeds the whole issue, as it is now, in every event: three quarters of the bytes of
    the events list, a copy of what the issues stream lands already, and stale on older events.
    """
    issue = event.get("issue")
    if not isinstance(issue, dict):
        return event
    kept = {key: issue[key] for key in ("id", "number", "pull_request") if key in issue}
    return {**event, "issue": kept}
