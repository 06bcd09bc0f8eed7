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
from datetime import datetime
from typing import Any, ClassVar

from connectors.base import (
    Connector,
    Page,
    State,
    Stream,
    fetch_link_pages,
    format_time,
    parse_time,
    resume_from,
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
        return {str(r["id"]) for page in pages for r in page.records if not is_pull_request(r)}

    def read(self, scope: str, stream: Stream, state: State | None) -> Iterator[Page]:
        state = state or {}
        params = {**stream.params, "per_page": int(self.settings.get("per_page", 100))}
        path = stream.path.format(scope=scope)
        if stream.name == "milestones":
            yield from self._read_full(path, params, state)
        elif stream.name == "issues" and not state.get("cursor"):
            yield from self._read_first(path, params, stream)
        else:
            yield from self._read_newest_first(path, params, state, stream)

    def _read_first(self, path: str, params: dict[str, Any], stream: Stream) -> Iterator[Page]:
        """A first read: every issue, oldest first, through the Link header's numbered pages.

        Numbered pages cost exactly one request per hundred issues, but an issue edited after its
        page was read moves to the end of the list and every issue behind it one place back: the
        one that slid under the page boundary is skipped. The edited issue shows up again at the
        end, so the walk knows, and then reads everything updated `since` that issue's old
        `updated_at`, a query no move can fool. The cursor is committed once the walk is whole.
        """
        seen: dict[Any, str] = {}
        moved_from: datetime | None = None
        cursor: str | None = None
        for page in fetch_link_pages(self.client, path, params):
            for record in page.records:
                updated = record.get(stream.cursor_field)
                before = seen.get(record["id"])
                if before and before != updated:
                    moved_from = min(moved_from or parse_time(before), parse_time(before))
                seen[record["id"]] = updated
            cursor = _later(cursor, _newest(page.records, stream))
            done = page.next_url is None and moved_from is None
            state = {"cursor": cursor, "read_at": page.served_at} if done else None
            yield Page(_issues_only(page.records), state)
        if moved_from is not None:
            yield from self._read_newest_first(path, params, {}, stream, since=moved_from)

    def _read_newest_first(
        self,
        path: str,
        params: dict[str, Any],
        state: State,
        stream: Stream,
        since: datetime | None = None,
    ) -> Iterator[Page]:
        """Issues after the first read, pulls and events: newest first, down to where the last
        read ended; the state is committed at the end of the walk.

        Issues and pulls stop at `resume_from` their cursor (issues ask the server `since` it, so
        the list ends there); events are immutable and stop at the highest event id stored. Page one
        of a newest-first list changes whenever anything in it does, so its ETag proves a quiet
        stream with one 304. Numbered pages are safe here: an issue edited mid-walk moves to the
        front, so pages behind it only shift forward (a row read twice); it is read next run.
        """
        is_events = stream.name == "issue_events"
        stop_id = int(state["last_id"]) if is_events and state.get("last_id") else None
        overlap_minutes = float(self.settings.get("overlap_minutes", 10))
        if since is None and not is_events:
            since = resume_from(state.get("cursor"), state.get("read_at"), overlap_minutes)
        if stream.name == "issues":
            params = {**params, "direction": "desc", "since": format_time(since)} if since else params
        etag = state.get("etag") if state.get("etag_params") == params else None
        cursor, last_id = state.get("cursor"), state.get("last_id")
        new_state: State = {"etag_params": params}
        for index, page in enumerate(fetch_link_pages(self.client, path, params, etag)):
            if page.not_modified:
                yield Page([], None)
                return
            if index == 0:
                new_state |= {"etag": page.etag, "read_at": page.served_at}
            keep = []
            done = False
            for record in page.records:
                if stop_id is not None and int(record["id"]) <= stop_id:
                    done = True
                    break
                value = record.get(stream.cursor_field)
                if not is_events and since is not None and value and parse_time(value) < since:
                    done = True
                    break
                keep.append(_with_issue_reference(record) if is_events else record)
                cursor = _later(cursor, parse_time(value) if value else None)
                if is_events and (last_id is None or int(record["id"]) > int(last_id)):
                    last_id = record["id"]
            final = done or page.next_url is None
            new_state |= {"cursor": cursor} | ({"last_id": last_id} if is_events else {})
            yield Page(_issues_only(keep) if stream.name == "issues" else keep, new_state if final else None)
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


def is_pull_request(issue: Mapping[str, Any]) -> bool:
    """The issues API marks a pull request by a `pull_request` object holding its URLs.

    Answers recorded in 2012 carry `"pull_request": {"html_url": null, ...}` on every plain issue:
    the key alone would drop them all.
    """
    marker = issue.get("pull_request")
    return isinstance(marker, Mapping) and any(marker.get(key) for key in ("url", "html_url"))


def _issues_only(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issues list mixes in pull requests; they are read from /pulls, which has more."""
    return [r for r in records if not is_pull_request(r)]


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
