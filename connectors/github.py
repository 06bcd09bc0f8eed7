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
from typing import Any, ClassVar

from connectors.base import Connector, Page, State, Stream, fetch_link_pages, format_time, overlap, parse_time
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
        """Issues by updated_at ascending from the cursor: the cursor may advance page by page."""
        since = overlap(state.get("cursor"), float(self.settings.get("overlap_minutes", 10)))
        if since is not None:
            params["since"] = format_time(since)
        cursor = state.get("cursor")
        etag = state.get("etag") if state.get("etag_params") == params else None
        for index, page in enumerate(fetch_link_pages(self.client, path, params, etag)):
            if page.not_modified:
                yield Page([], None)
                return
            for record in page.records:
                value = record.get(stream.cursor_field)
                if value and (cursor is None or parse_time(value) > parse_time(cursor)):
                    cursor = value
            issues = [r for r in page.records if "pull_request" not in r]
            new_state: State = {"cursor": cursor}
            # A 304 on an oldest-first list proves nothing changed only when it fits on one page.
            if index == 0 and page.next_url is None:
                new_state |= {"etag": page.etag, "etag_params": params}
            yield Page(issues, new_state)

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
                keep.append(record)
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
