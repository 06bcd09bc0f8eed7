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

from connectors.base import Connector, Page, State, Stream, fetch_link_pages, parse_time
from connectors.http import HttpClient
from connectors.reads import read_incremental
from connectors.streams import cursor_time, later

API_VERSION = "2022-11-28"


def _issues_only(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issues list mixes in pull requests; they are read from /pulls, which has more."""
    return [r for r in records if not is_pull_request(r)]


def _events_with_issue_reference(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [_with_issue_reference(event) for event in events]


class GitHubConnector(Connector):
    """Issues and pulls read newest first down to `resume_from` their cursor (issues ask the server
    `since` it), events down to the highest id stored, milestones whole; every list with its ETag.

    Page one of a newest-first list changes whenever anything in it does, so its ETag proves a
    quiet stream with one 304. Numbered pages are safe there: an issue edited mid-walk moves to the
    front, so pages behind it only shift forward (a row read twice); it is read next run. A repo's
    first issue read is the oldest-first walk of `read_first_issues`.
    """

    source_type: ClassVar[str] = "github"
    streams: ClassVar[tuple[Stream, ...]] = (
        Stream(
            "issues",
            "/repos/{scope}/issues",
            params={"state": "all", "sort": "updated", "direction": "asc"},
            cursor_param="since",
            cursor_params={"direction": "desc"},
            etag=True,
            shape=_issues_only,
            first_reader="read_first_issues",
        ),
        Stream(
            "pull_requests",
            "/repos/{scope}/pulls",
            params={"state": "all", "sort": "updated", "direction": "desc"},
            newest_first=True,
            etag=True,
        ),
        Stream(
            "milestones",
            "/repos/{scope}/milestones",
            cursor_field=None,
            params={"state": "all", "sort": "due_on", "direction": "asc"},
            etag=True,
        ),
        Stream(
            "issue_events",
            "/repos/{scope}/issues/events",
            cursor_field="created_at",
            newest_first=True,
            append_only=True,
            etag=True,
            shape=_events_with_issue_reference,
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

    def read_first_issues(self, scope: str, stream: Stream, state: State) -> Iterator[Page]:
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
        params = self.params(stream)
        for page in stream.paging.pages(self.client, self.path(stream, scope), params):
            for record in page.records:
                updated = record.get("updated_at")
                before = seen.get(record["id"])
                if before and before != updated:
                    moved_from = min(moved_from or parse_time(before), parse_time(before))
                seen[record["id"]] = updated
                cursor = later(cursor, cursor_time(stream, record))  # pull requests too: same order
            done = page.next_page is None and moved_from is None
            yield Page(
                _issues_only(page.records), {"cursor": cursor, "read_at": page.served_at} if done else None
            )
        if moved_from is not None:
            yield from read_incremental(self, scope, stream, {}, since=moved_from)


def is_pull_request(issue: Mapping[str, Any]) -> bool:
    """The issues API marks a pull request by a `pull_request` object holding its URLs.

    Answers recorded in 2012 carry `"pull_request": {"html_url": null, ...}` on every plain issue:
    the key alone would drop them all.
    """
    marker = issue.get("pull_request")
    return isinstance(marker, Mapping) and any(marker.get(key) for key in ("url", "html_url"))


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
