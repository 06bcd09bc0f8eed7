"""Jira issue search: the incremental JQL, Cloud token paging, Data Center offset paging, the id census.

Cloud (`/rest/api/3/search/jql`) pages by token over `ORDER BY updated ASC, id ASC`. Whether a
token pages a snapshot of the result or searches after the last row it served, an issue updated
mid-walk either moves behind the token (and is read again) or keeps its old place with its new
`updated`. In the second case a page's newest `updated` may belong to an issue that jumped ahead
of rows still to come, so mid-walk the cursor only advances to the page's *oldest* `updated`
(everything older was on this page or before it); once the walk is over, to the newest seen but
no later than the walk's start (an issue served before an edit made during the walk is read again
next run). A nextPageToken that comes back again (which has looped clients forever) starts a new
search from the committed cursor, as long as the last one moved it forward.

Data Center (`/rest/api/2/search`) only has `startAt` offsets, and offsets over a sort on a field
that changes skip rows (an issue updated mid-run moves to the end and the rest shift back under the
offset). So Data Center sorts by `id`, which never changes: an issue updated mid-run stays where it
is. The cursor only advances once the walk is over, to the newest `updated` no later than the
run's start (later ones may have been inserted behind the offset), and not at all if the result
shrank mid-walk (a deletion shifts rows under the offset). Each page stores the walk's position,
so a run that dies resumes there instead of starting again.

JQL dates without epoch milliseconds are read in the user's profile time zone at minute precision:
the lower bound is always epoch milliseconds. It is where the last read left off, moved back by the
overlap window only when the newest update read was inside that window when the server answered
(`read_at`, its Date header; streams.resume_from): a quiet night re-reads nothing, not the last ten
minutes of edits before the run before.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from connectors.base import Page, State, parse_time, resume_from
from connectors.http import ConnectorError, HttpClient
from connectors.jira.changelog import complete_changelog, is_truncated
from connectors.jira.paging import RepeatedToken, offset_pages, token_pages

CLOUD_SEARCH = "/rest/api/3/search/jql"
DATACENTER_SEARCH = "/rest/api/2/search"
PAGE_SIZE = 100  # Cloud's ceiling when fields are requested
CENSUS_PAGE = {"cloud": 5000, "datacenter": 1000}
CENSUS_ATTEMPTS = 3

# What staging reads; custom fields (story points, sprint, ...) are added per site.
BASE_FIELDS = (
    "summary",
    "status",
    "issuetype",
    "resolution",
    "resolutiondate",
    "statuscategorychangedate",
    "created",
    "updated",
    "priority",
    "labels",
    "assignee",
    "reporter",
    "duedate",
    "fixVersions",
    "versions",
    "timeoriginalestimate",
    "timespent",
    "parent",
    "project",
)


def issue_fields(roles: dict[str, list[str]]) -> list[str]:
    """The explicit field list: the system fields plus every resolved custom field id."""
    return list(dict.fromkeys([*BASE_FIELDS, *(fid for ids in roles.values() for fid in ids)]))


def epoch_ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def issues_jql(project: str, since_ms: int | None, order_by: str) -> str:
    """`project = KEY [AND updated >= <epoch ms>] ORDER BY ...` (no date clause on a first run)."""
    where = f"project = {project}" + (f" AND updated >= {since_ms}" if since_ms is not None else "")
    return f"{where} ORDER BY {order_by}"


def updated_at(issue: dict[str, Any]) -> datetime | None:
    """`fields.updated` as UTC, or None when missing or not a timestamp string."""
    value = (issue.get("fields") or {}).get("updated")
    return parse_time(value) if isinstance(value, str) else None


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat(timespec="milliseconds") if value else None


class IssueReader:
    """Reads one project's issues with complete changelogs; `fields` is the explicit field list."""

    def __init__(
        self,
        client: HttpClient,
        deployment: str,
        fields: list[str],
        overlap_minutes: float,
        roles: dict[str, list[str]] | None = None,
    ) -> None:
        """`roles`: the field roles resolved from the site's field list, kept in the state so the
        next run can tell a field the list lost from one it never had (jira_fields)."""
        self.client = client
        self.deployment = deployment
        self.fields = fields
        self.overlap_minutes = overlap_minutes
        self.roles = roles or {}

    def read(self, project: str, state: State | None, now: datetime | None = None) -> Iterator[Page]:
        state = dict(state or {})
        if "fields" not in state or set(self.fields) - set(state["fields"]):
            # A field newly asked for (an override, a field created on the site): earlier records
            # lack it, so read everything again rather than mix shapes. A field no longer asked
            # for is no reason: the records read from now on just lack it.
            state = {}
        if self.deployment == "datacenter":
            yield from self._read_datacenter(project, state, now or datetime.now(UTC))
        else:
            yield from self._read_cloud(project, state, now or datetime.now(UTC))

    def _state(self, cursor: str | None, read_at: str | None) -> State:
        return {"cursor": cursor, "read_at": read_at, "fields": self.fields, "roles": self.roles}

    def _params(self, jql: str) -> dict[str, Any]:
        return {"jql": jql, "fields": ",".join(self.fields), "expand": "changelog", "maxResults": PAGE_SIZE}

    def _since_ms(self, cursor: str | None, read_at: str | None) -> int | None:
        since = resume_from(cursor, read_at, self.overlap_minutes)
        return epoch_ms(since) if since else None

    def _read_cloud(self, project: str, state: State, now: datetime) -> Iterator[Page]:
        cursor, last_read_at = state.get("cursor"), state.get("read_at")
        seen: dict[str, datetime | None] = {}
        newest: datetime | None = None
        read_at: str | None = None  # when the first page was answered: the window is measured from it
        start = cursor  # the lower bound of the current search
        while True:
            jql = issues_jql(project, self._since_ms(start, last_read_at), "updated ASC, id ASC")
            try:
                for page in token_pages(self.client, CLOUD_SEARCH, self._params(jql)):
                    read_at = read_at or page.served_at
                    records = self._fresh(page.records, seen)
                    times = [t for t in map(updated_at, page.records) if t]
                    newest = max(filter(None, [newest, *times]), default=None)
                    cursor = _later(cursor, min(times, default=None))
                    yield Page(records, self._state(cursor, None))
            except RepeatedToken:
                if cursor == start:
                    raise  # the search before this one ended where it began: no progress to resume
                start, last_read_at = cursor, None  # mid-walk: back by the whole window
                continue
            break
        final = min(newest, now) if newest else None
        yield Page([], self._state(_later(cursor, final), read_at))

    def _read_datacenter(self, project: str, state: State, now: datetime) -> Iterator[Page]:
        cursor = state.get("cursor")
        walk = state.get("walk") or {
            "since_ms": self._since_ms(cursor, state.get("read_at")),
            "start_at": 0,
            "started_at": iso(now),
            "newest": None,
            "total": None,
            "shrank": False,
        }
        started_at = parse_time(walk["started_at"])
        jql = issues_jql(project, walk["since_ms"], "id ASC")
        seen: dict[str, datetime | None] = {}
        for page in offset_pages(
            self.client, DATACENTER_SEARCH, self._params(jql), key="issues", start_at=walk["start_at"]
        ):
            walk["read_at"] = walk.get("read_at") or page.served_at
            records = self._fresh(page.records, seen)
            newest = max((t for t in map(updated_at, records) if t and t <= started_at), default=None)
            if newest and (walk["newest"] is None or newest > parse_time(walk["newest"])):
                walk["newest"] = iso(newest)
            if page.total is not None:
                walk["shrank"] = walk["shrank"] or (walk["total"] is not None and page.total < walk["total"])
                walk["total"] = page.total
            walk["start_at"] = page.start_at + len(page.records)
            yield Page(records, self._state(cursor, None) | {"walk": dict(walk)})
        newest = walk["newest"]
        if not walk["shrank"] and newest and (cursor is None or parse_time(newest) > parse_time(cursor)):
            cursor = newest
        yield Page([], self._state(cursor, walk.get("read_at")))

    def _fresh(self, issues: list[dict[str, Any]], seen: dict[str, datetime | None]) -> list[dict[str, Any]]:
        """Drop repeats of an issue already read unchanged this run; complete truncated changelogs."""
        records = []
        for issue in issues:
            issue_id, updated = str(issue["id"]), updated_at(issue)
            if issue_id in seen and seen[issue_id] == updated:
                continue
            seen[issue_id] = updated
            records.append(complete_changelog(self.client, issue, self.api) if is_truncated(issue) else issue)
        return records

    @property
    def api(self) -> str:
        return "2" if self.deployment == "datacenter" else "3"

    def census(self, project: str) -> set[str]:
        """Ids of every issue now in the project (fields=id only: up to 5,000 per Cloud page)."""
        jql = f"project = {project} ORDER BY id ASC"
        params = {"jql": jql, "fields": "id", "maxResults": CENSUS_PAGE[self.deployment]}
        for _ in range(CENSUS_ATTEMPTS):
            found = (
                self._datacenter_census(params)
                if self.deployment == "datacenter"
                else self._cloud_census(params)
            )
            if found is not None:
                return found
        raise ConnectorError(
            f"census of {project}: no complete walk in {CENSUS_ATTEMPTS} tries (the issue count kept "
            "changing, or a page token came back again)"
        )

    def _cloud_census(self, params: dict[str, Any]) -> set[str] | None:
        """Every id, or None when a page token came back again (the walk is then incomplete)."""
        try:
            return {
                str(i["id"]) for page in token_pages(self.client, CLOUD_SEARCH, params) for i in page.records
            }
        except RepeatedToken:
            return None

    def _datacenter_census(self, params: dict[str, Any]) -> set[str] | None:
        """Every id, or None when the walk may have skipped one.

        Offsets skip a row when an issue is deleted mid-walk, and a skipped id would be marked
        deleted: accept a walk only when the total held still and every id was seen.
        """
        ids: set[str] = set()
        totals: set[int] = set()
        for page in offset_pages(self.client, DATACENTER_SEARCH, params, key="issues"):
            ids |= {str(i["id"]) for i in page.records}
            if page.total is not None:
                totals.add(int(page.total))
        complete = len(totals) <= 1 and (not totals or len(ids) == next(iter(totals)))
        return ids if complete else None


def _later(cursor: str | None, candidate: datetime | None) -> str | None:
    """The cursor moved forward to `candidate` (never back), as stored: UTC ISO with milliseconds."""
    if candidate is None or (cursor is not None and candidate <= parse_time(cursor)):
        return cursor
    return iso(candidate)
