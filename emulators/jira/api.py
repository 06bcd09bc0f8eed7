"""The Jira REST API (platform v2/v3 and agile 1.0) over the in-memory site: what trackerlake syncs.

Mounted at /jira. Behaves like Jira where a client can tell:
- Cloud search `GET|POST /rest/api/{2,3}/search/jql`: ids only unless fields are asked for,
  maxResults capped at 100 with fields and 5,000 for ids only, opaque `nextPageToken`s that page a
  snapshot of the result (stable while issues change) and expire after 7 days of site time; the
  response has no total. `/rest/api/3/search` answers 410 Gone (CHANGE-2046).
- Data Center search `GET|POST /rest/api/2/search`: startAt/maxResults/total, evaluated afresh for
  every page, so total moves when issues are created or deleted between pages.
- Changelogs: `expand=changelog` on search/jql embeds only the newest `changelog_cap` histories
  (newest first; v3 GET /issue: 100), while Data Center paths (v2 /search, v2 /issue) embed the
  whole history oldest first; `/issue/{key}/changelog` and `/changelog/bulkfetch` page them all.
- Basic auth with any email and a non-empty token (Cloud) or a bearer PAT (Data Center); none: 401.
- A request budget per credential and window; past it 429 with Retry-After, X-RateLimit-Reset
  (ISO) and RateLimit-Reason. Errors are `{"errorMessages": [...], "errors": {}}`.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from emulators.exchange import Request, Response, json_bytes
from emulators.jira import render
from emulators.jira.jql import JqlError, Query, parse
from emulators.jira.model import Issue, JiraSite, Version
from emulators.rate_limit import RateLimits

THROTTLED = "Rate limit exceeded."  # a 429's message
BURST = ("RateLimit-Reason", "jira-burst-based")  # the limit that refused: the burst one
GONE = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)
NOT_AUTHENTICATED = "You are not authenticated. Authentication required to perform this operation."
TOKEN_TTL = timedelta(days=7)
MAX_FIELDS_PAGE, MAX_IDS_PAGE, MAX_DC_PAGE = 100, 5000, 1000
MAX_CHANGELOG_PAGE, MAX_BULK_ISSUES, MAX_BULK_FIELDS = 100, 1000, 10
KEPT_CURSORS = 4096

API = r"/rest/api/(?P<api>[23])"
ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (method, re.compile(f"^{pattern}$"), name)
    for method, pattern, name in (
        ("GET POST", f"{API}/search/jql", "search_jql"),
        ("POST", f"{API}/search/approximate-count", "approximate_count"),
        ("GET POST", r"/rest/api/3/search", "search_removed"),
        ("GET POST", r"/rest/api/(?P<api>2)/search", "search_offset"),
        ("GET", f"{API}/issue/(?P<issue>[^/]+)", "issue"),
        ("GET", f"{API}/issue/(?P<issue>[^/]+)/changelog", "changelog"),
        ("POST", f"{API}/changelog/bulkfetch", "bulkfetch"),
        ("GET", f"{API}/field", "fields"),
        ("GET", f"{API}/status", "statuses"),
        ("GET", f"{API}/myself", "myself"),
        ("GET", f"{API}/project/(?P<project>[^/]+)", "project"),
        ("GET", f"{API}/project/(?P<project>[^/]+)/version", "versions_page"),
        ("GET", f"{API}/project/(?P<project>[^/]+)/versions", "versions_all"),
        ("GET", r"/rest/agile/1\.0/board", "boards"),
        ("GET", r"/rest/agile/1\.0/board/(?P<board>\d+)", "board"),
        ("GET", r"/rest/agile/1\.0/board/(?P<board>\d+)/sprint", "board_sprints"),
        ("GET", r"/rest/agile/1\.0/sprint/(?P<sprint>\d+)", "sprint"),
    )
]


SEARCH_PATH = re.compile(r"^/rest/api/(?P<api>[23])/search(?P<jql>/jql)?$")


def error_body(*messages: str) -> dict[str, Any]:
    """Jira's error shape."""
    return {"errorMessages": list(messages), "errors": {}}


class JiraError(Exception):
    """An answer in Jira's error shape."""

    def __init__(self, status: int, *messages: str) -> None:
        super().__init__("; ".join(messages))
        self.status = status
        self.payload = error_body(*messages)


@dataclass
class _Snapshot:
    """A search result as it stood at its first page: later pages read from it, so they stay stable."""

    jql: str
    ids: list[int]
    issued: datetime


@dataclass
class _Call:
    """What a search asked for, from query parameters (GET) or the JSON body (POST)."""

    api: int
    jql: str
    fields: tuple[str, ...]
    ids_only: bool
    with_changelog: bool
    max_results: int | None
    token: str | None
    start_at: int


class JiraApi:
    """The handler mounted at /jira.

    `rate_limit` requests per credential per `window_seconds` (wall clock); `changelog_cap` is how
    many histories `expand=changelog` embeds on Cloud (about 40 on search/jql today).
    """

    def __init__(
        self,
        site: JiraSite,
        rate_limit: int = 6000,
        window_seconds: int = 60,
        changelog_cap: int = 40,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.site = site
        self.rate_limit = rate_limit
        self.changelog_cap = changelog_cap
        self._now = now
        self.limits = RateLimits(window_seconds, now)
        self._cursors: OrderedDict[str, tuple[_Snapshot, int]] = OrderedDict()
        self._cursor_numbers = itertools.count(1)
        self._query_cache: dict[tuple[str, bool], tuple[int, list[Issue]]] = {}

    def handle(self, request: Request) -> Response:
        credential = _credential(request.headers.get("Authorization"))
        if credential is None:
            error = JiraError(401, NOT_AUTHENTICATED)
            return _json(401, error.payload, [("WWW-Authenticate", 'Basic realm="protected-area"')])
        budget = self.limits.spend(credential, self.rate_limit)
        if budget is None:
            return self._refuse(credential)
        try:
            with self.site.lock:
                payload = self._route(request)
            status = 200
        except JiraError as error:
            status, payload = error.status, error.payload
        near = budget.remaining < self.rate_limit * 0.2
        return _json(status, payload, [("X-RateLimit-NearLimit", "true")] if near else [])

    def _refuse(self, credential: str) -> Response:
        budget = self.limits.current(credential, self.rate_limit)
        wait = max(1, math.ceil(budget.reset - self._now()))
        reset = datetime.fromtimestamp(self._now() + wait, UTC)
        reset_minute = (reset + timedelta(seconds=59)).replace(second=0, microsecond=0)
        headers = [
            ("Retry-After", str(wait)),
            ("X-RateLimit-Reset", f"{reset_minute:%Y-%m-%dT%H:%MZ}"),
            ("X-RateLimit-Limit", str(self.rate_limit)),
            ("X-RateLimit-Remaining", "0"),
            BURST,
        ]
        return _json(429, error_body(THROTTLED), headers)

    def edit_served_issue(
        self, request: Request, pick: Callable[[list[Issue]], Issue], retitle: Callable[[str], str]
    ) -> bool:
        """Fault hook: rename an issue this search walk was already served, as a user may mid-sync.

        Served: on Cloud, the rows of the token's snapshot before its offset; on Data Center, the
        rows before startAt. The renamed issue's `updated` jumps ahead of the rows still to come.
        """
        match = SEARCH_PATH.match(request.path.rstrip("/"))
        if match is None or (match["api"] == "3" and not match["jql"]):  # v3 offset search is gone
            return False
        with self.site.lock:
            try:
                call = _search_call(request, int(match["api"]), default_fields="id")
                if match["jql"]:
                    found = self._cursors.get(call.token or "")
                    ids = found[0].ids[: found[1]] if found else []
                else:
                    ids = [issue.id for issue in self._select(call.jql, False)[: call.start_at]]
            except JiraError:
                return False
            served = [self.site.issues[i] for i in ids if i in self.site.issues]
            if not served:
                return False
            chosen = pick(served)
            self.site.update_issue(chosen.key, summary=retitle(chosen.summary))
        return True

    def _route(self, request: Request) -> Any:
        for methods, pattern, name in ROUTES:
            match = pattern.match(request.path.rstrip("/") or "/")
            if match:
                if request.method not in methods.split():
                    raise JiraError(405, f"Method {request.method} is not allowed for this resource.")
                params = match.groupdict()
                api = int(params.pop("api", 3) or 3)
                return getattr(self, f"_{name}")(request, api, **params)
        raise JiraError(404, f"null for uri: {request.base_url}{request.path}")

    # -- search ---------------------------------------------------------------------------------

    def _search_jql(self, request: Request, api: int) -> dict[str, Any]:
        call = _search_call(request, api, default_fields="id")
        if call.token:
            snapshot, offset = self._cursor(call)
        else:
            snapshot, offset = (
                _Snapshot(call.jql, [i.id for i in self._select(call.jql, True)], self.site.clock.now),
                0,
            )
        limit = min(call.max_results or 50, MAX_IDS_PAGE if call.ids_only else MAX_FIELDS_PAGE)
        chosen = snapshot.ids[offset : offset + limit]
        issues = [self.site.issues[i] for i in chosen if i in self.site.issues]  # deleted since: gone
        embed = render.Embed(self.changelog_cap, True)
        page: dict[str, Any] = {
            "issues": [self._search_item(issue, call, request, embed) for issue in issues]
        }
        if offset + limit < len(snapshot.ids):
            page["nextPageToken"] = self._new_cursor(snapshot, offset + limit)
            page["isLast"] = False
        else:
            page["isLast"] = True
        return page

    def _search_removed(self, request: Request, api: int) -> Any:
        raise JiraError(410, GONE)

    def _search_offset(self, request: Request, api: int) -> dict[str, Any]:
        call = _search_call(request, api, default_fields="*navigable")
        found = self._select(call.jql, False)
        limit = min(50 if call.max_results is None else call.max_results, MAX_DC_PAGE)
        chosen = found[call.start_at : call.start_at + limit]
        return {
            "expand": "schema,names",
            "startAt": call.start_at,
            "maxResults": limit,
            "total": len(found),
            "issues": [self._search_item(issue, call, request, render.DATA_CENTER_EMBED) for issue in chosen],
        }

    def _approximate_count(self, request: Request, api: int) -> dict[str, int]:
        body = _body(request)
        return {"count": len(self._select(str(body.get("jql") or ""), True))}

    def _select(self, jql: str, bounded: bool) -> list[Issue]:
        """The issues matching `jql` in its order; cached until the site changes."""
        cache_key = (jql, bounded)
        hit = self._query_cache.get(cache_key)
        if hit is not None and hit[0] == self.site.revision:
            return hit[1]
        try:
            query = parse(jql, self.site.user_zone)
        except JqlError as error:
            raise JiraError(400, error.message) from None
        if bounded and not query.bounded:
            raise JiraError(
                400,
                "Unbounded JQL queries are not allowed here. Please add a search restriction to your query.",
            )
        for key in sorted(query.projects or ()):
            if key not in self.site.projects:
                raise JiraError(400, f"The value '{key}' does not exist for the field 'project'.")
        found = sorted(
            (issue for issue in self.site.issues.values() if _admits(query, issue)), key=_order_key(query)
        )
        if len(self._query_cache) > 64:
            self._query_cache.clear()
        self._query_cache[cache_key] = (self.site.revision, found)
        return found

    def _cursor(self, call: _Call) -> tuple[_Snapshot, int]:
        found = self._cursors.get(call.token or "")
        if found is None or self.site.clock.now - found[0].issued > TOKEN_TTL or found[0].jql != call.jql:
            raise JiraError(400, "The provided next page token is invalid or expired.")
        return found

    def _new_cursor(self, snapshot: _Snapshot, offset: int) -> str:
        digest = hashlib.sha256(f"{snapshot.jql}|{offset}|{next(self._cursor_numbers)}".encode()).digest()
        token = base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")
        self._cursors[token] = (snapshot, offset)
        while len(self._cursors) > KEPT_CURSORS:
            self._cursors.popitem(last=False)
        return token

    def _search_item(
        self, issue: Issue, call: _Call, request: Request, embed: render.Embed
    ) -> dict[str, Any]:
        if call.ids_only:
            return (
                {"id": str(issue.id)} if call.fields == ("id",) else {"id": str(issue.id), "key": issue.key}
            )
        changelog = embed if call.with_changelog else None
        return render.issue(issue, self.site, call.fields, request.base_url, call.api, changelog)

    # -- issues and changelogs ------------------------------------------------------------------

    def _issue(self, request: Request, api: int, issue: str) -> dict[str, Any]:
        """GET /issue/{idOrKey}: all fields by default; an embedded changelog is capped at 100 on v3."""
        found = self._find_issue(issue)
        call = _search_call(request, api, default_fields="*all")
        fields = call.fields if not call.ids_only else ()
        embed = render.CLOUD_ISSUE_EMBED if api == 3 else render.DATA_CENTER_EMBED
        return render.issue(
            found, self.site, fields, request.base_url, api, embed if call.with_changelog else None
        )

    def _changelog(self, request: Request, api: int, issue: str) -> dict[str, Any]:
        """GET /issue/{idOrKey}/changelog: every history, oldest first, 100 at most per page."""
        found = self._find_issue(issue)
        start = _int_param(request, "startAt", 0)
        limit = min(_int_param(request, "maxResults", MAX_CHANGELOG_PAGE), MAX_CHANGELOG_PAGE)
        chosen = found.histories[start : start + limit]
        url = f"{request.base_url}/rest/api/{api}/issue/{found.key}/changelog"
        page = _page(url, start, limit, len(found.histories))
        page["values"] = [render.history(entry, found.zone, request.base_url, api) for entry in chosen]
        return page

    def _bulkfetch(self, request: Request, api: int) -> dict[str, Any]:
        """POST /changelog/bulkfetch: the histories of up to 1,000 issues, oldest first (ties by issue
        id), optionally only the items of up to 10 fields, in pages of maxResults histories."""
        body = _body(request)
        wanted = body.get("issueIdsOrKeys")
        if not isinstance(wanted, list) or not wanted:
            raise JiraError(400, "issueIdsOrKeys must not be empty.")
        if len(wanted) > MAX_BULK_ISSUES:
            raise JiraError(400, f"The maximum number of issues that can be requested is {MAX_BULK_ISSUES}.")
        field_ids = body.get("fieldIds") or []
        if len(field_ids) > MAX_BULK_FIELDS:
            raise JiraError(
                400, f"The maximum number of field IDs that can be requested is {MAX_BULK_FIELDS}."
            )
        limit = body.get("maxResults", 1000)
        if not isinstance(limit, int) or not 1 <= limit <= 10000:
            raise JiraError(400, "maxResults must be between 1 and 10000.")
        issues = {found.id: found for found in map(self._maybe_issue, wanted) if found is not None}
        only = frozenset(field_ids) if field_ids else None
        entries = sorted(
            (
                (history.created, issue.id, history)
                for issue in issues.values()
                for history in issue.histories
                if only is None or any(item.field_id in only for item in history.items)
            ),
            key=lambda entry: (entry[0], entry[1], entry[2].id),
        )
        signature = hashlib.sha256(
            json.dumps([sorted(map(str, wanted)), sorted(field_ids)]).encode()
        ).hexdigest()[:12]
        offset = _bulk_offset(body.get("nextPageToken"), signature)
        grouped: dict[int, list[dict[str, Any]]] = {}
        for _, issue_id, history in entries[offset : offset + limit]:
            grouped.setdefault(issue_id, []).append(
                render.history(history, issues[issue_id].zone, request.base_url, api, only)
            )
        page: dict[str, Any] = {
            "issueChangeLogs": [
                {"issueId": str(issue_id), "changeHistories": found} for issue_id, found in grouped.items()
            ]
        }
        if offset + limit < len(entries):
            page["nextPageToken"] = _bulk_token(offset + limit, signature)
        return page

    def _find_issue(self, id_or_key: str) -> Issue:
        found = self._maybe_issue(id_or_key)
        if found is None:
            raise JiraError(404, "Issue does not exist or you do not have permission to see it.")
        return found

    def _maybe_issue(self, id_or_key: Any) -> Issue | None:
        try:
            return self.site.issue(str(id_or_key))
        except KeyError:
            return None

    # -- site configuration ---------------------------------------------------------------------

    def _fields(self, request: Request, api: int) -> list[dict[str, Any]]:
        return render.field_list()

    def _statuses(self, request: Request, api: int) -> list[dict[str, Any]]:
        return [
            render.status_details(status, request.base_url, api) for status in self.site.statuses.values()
        ]

    def _myself(self, request: Request, api: int) -> dict[str, Any]:
        """The API user; its timeZone is the zone JQL dates are read in."""
        account = "712020:5f0c27e4-0b8a-4c3e-9d5f-7a1c2b3d4e5f"
        return {
            "self": f"{request.base_url}/rest/api/{api}/user?accountId={account}",
            "accountId": account,
            "accountType": "atlassian",
            "emailAddress": _basic_email(request.headers.get("Authorization")),
            "displayName": "trackerlake sync",
            "active": True,
            "timeZone": self.site.user_zone_name,
            "locale": "en_US",
        }

    def _project(self, request: Request, api: int, project: str) -> dict[str, Any]:
        found = self._find_project(project)
        base = request.base_url
        return {
            "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
            **render.project(found, base, api),
            "description": "",
            "lead": render.user(found.lead, base, api),
            "components": [],
            "issueTypes": [render.issue_type(kind, base, api) for kind in found.issue_types],
            "assigneeType": "UNASSIGNED",
            "versions": [render.version(v, self.site, base, api) for v in self._project_versions(found.key)],
            "roles": {},
            "style": "classic",
            "isPrivate": False,
            "properties": {},
        }

    def _versions_page(self, request: Request, api: int, project: str) -> dict[str, Any]:
        """GET /project/{key}/version: paged, ordered (orderBy), filtered by status and query."""
        self._find_project(project)
        found = self._project_versions(project)
        statuses = {s for s in (request.param("status") or "").split(",") if s}
        if statuses:
            found = [v for v in found if _version_status(v) & statuses]
        if query := (request.param("query") or "").lower():
            found = [v for v in found if query in v.name.lower() or query in v.description.lower()]
        found = _ordered_versions(found, request.param("orderBy") or "sequence")
        start = _int_param(request, "startAt", 0)
        limit = min(_int_param(request, "maxResults", 50), 50)
        url = f"{request.base_url}/rest/api/{api}/project/{project}/version"
        page = _page(url, start, limit, len(found), request)
        statuses_wanted = "issuesstatus" in (request.param("expand") or "")
        page["values"] = [
            self._version(v, request, api, statuses_wanted) for v in found[start : start + limit]
        ]
        return page

    def _versions_all(self, request: Request, api: int, project: str) -> list[dict[str, Any]]:
        self._find_project(project)
        return [self._version(v, request, api, False) for v in self._project_versions(project)]

    def _version(self, version: Version, request: Request, api: int, with_status: bool) -> dict[str, Any]:
        rendered = render.version(version, self.site, request.base_url, api)
        if with_status:
            rendered["issuesStatusForFixVersion"] = render.versions_status(version, self.site)
        return rendered

    def _find_project(self, key_or_id: str) -> Any:
        for project in self.site.projects.values():
            if key_or_id in (project.key, str(project.id)):
                return project
        raise JiraError(404, f"No project could be found with key '{key_or_id}'.")

    def _project_versions(self, key_or_id: str) -> list[Version]:
        project = self._find_project(key_or_id)
        return sorted(
            (v for v in self.site.versions.values() if v.project is project), key=lambda v: v.sequence
        )

    # -- agile ----------------------------------------------------------------------------------

    def _boards(self, request: Request, api: int) -> dict[str, Any]:
        """GET /board: every board whose filter covers the project, shared boards included."""
        found = list(self.site.boards.values())
        if wanted := request.param("projectKeyOrId"):
            project = self._find_project(wanted)
            found = [board for board in found if project in board.projects]
        if kind := request.param("type"):
            found = [board for board in found if board.type in kind.split(",")]
        if name := request.param("name"):
            found = [board for board in found if name.lower() in board.name.lower()]
        return self._agile_page(request, found, lambda board: render.board(board, request.base_url))

    def _board(self, request: Request, api: int, board: str) -> dict[str, Any]:
        return render.board(self._find_board(board), request.base_url)

    def _board_sprints(self, request: Request, api: int, board: str) -> dict[str, Any]:
        """GET /board/{id}/sprint: sprints of the board and sprints holding issues its filter covers
        (so a board shared by two projects lists the other project's sprints too)."""
        found_board = self._find_board(board)
        if found_board.type != "scrum":
            raise JiraError(400, "The board does not support sprints")
        covered = {project.id for project in found_board.projects}
        holding = {
            sprint.id
            for issue in self.site.issues.values()
            if issue.project.id in covered
            for sprint in issue.sprints
        }
        states = {s for s in (request.param("state") or "").split(",") if s}
        order = {"closed": 0, "active": 1, "future": 2}
        sprints = sorted(
            (
                sprint
                for sprint in self.site.sprints.values()
                if (sprint.board is found_board or sprint.id in holding)
                and (not states or sprint.state in states)
            ),
            key=lambda sprint: (order[sprint.state], sprint.id),
        )
        return self._agile_page(request, sprints, lambda sprint: render.sprint(sprint, request.base_url))

    def _sprint(self, request: Request, api: int, sprint: str) -> dict[str, Any]:
        found = self.site.sprints.get(int(sprint))
        if found is None:
            raise JiraError(
                404, f"Sprint with id {sprint} does not exist or you do not have permission to see it."
            )
        return render.sprint(found, request.base_url)

    def _find_board(self, board_id: str) -> Any:
        found = self.site.boards.get(int(board_id))
        if found is None:
            raise JiraError(404, "Board does not exist or you do not have permission to see it.")
        return found

    def _agile_page(
        self, request: Request, items: list[Any], render_item: Callable[[Any], Any]
    ) -> dict[str, Any]:
        """The agile page {maxResults, startAt, total, isLast, values}, at most 50 per page."""
        start = _int_param(request, "startAt", 0)
        limit = min(_int_param(request, "maxResults", 50), 50)
        return {
            "maxResults": limit,
            "startAt": start,
            "total": len(items),
            "isLast": start + limit >= len(items),
            "values": [render_item(item) for item in items[start : start + limit]],
        }


# -- request parsing ------------------------------------------------------------------------------


def _credential(authorization: str | None) -> str | None:
    """A rate-limit key for `Basic base64(email:token)` with a non-empty token, or `Bearer PAT`."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return f"pat:{value}"
    if scheme.lower() == "basic":
        try:
            email, _, token = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
        except ValueError:
            return None
        if email and token:
            return f"basic:{email}:{token}"
    return None


def _basic_email(authorization: str | None) -> str | None:
    scheme, _, value = (authorization or "").strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    return base64.b64decode(value.strip()).decode("utf-8").partition(":")[0]


def _body(request: Request) -> dict[str, Any]:
    if not request.body:
        return {}
    try:
        body = json.loads(request.body)
    except ValueError:
        raise JiraError(400, "Unexpected character in the request body: it is not JSON.") from None
    if not isinstance(body, dict):
        raise JiraError(400, "The request body must be a JSON object.")
    return body


def _int_param(request: Request, name: str, default: int) -> int:
    value = request.param(name)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        raise JiraError(400, f"The '{name}' parameter must be an integer.") from None
    return max(number, 0)


def _search_call(request: Request, api: int, default_fields: str) -> _Call:
    """A search's parameters from the query string (GET) or the JSON body (POST)."""
    if request.method == "POST":
        body = _body(request)
        raw_fields = body.get("fields") or []
        field_tokens = [raw_fields] if isinstance(raw_fields, str) else list(raw_fields)
        expand = body.get("expand") or ""
        values = {name: body.get(name) for name in ("jql", "maxResults", "nextPageToken", "startAt")}
    else:
        field_tokens = [value for key, value in request.query if key == "fields"]
        expand = request.param("expand") or ""
        values = {name: request.param(name) for name in ("jql", "maxResults", "nextPageToken", "startAt")}
    expand_items = expand if isinstance(expand, list) else str(expand).split(",")
    tokens = [token.strip() for group in field_tokens for token in str(group).split(",") if token.strip()]
    fields, ids_only = _wanted_fields(tokens or [default_fields])
    return _Call(
        api=api,
        jql=str(values["jql"] or ""),
        fields=fields,
        ids_only=ids_only,
        with_changelog="changelog" in {item.strip() for item in expand_items},
        max_results=_number_value(values["maxResults"], "maxResults"),
        token=values["nextPageToken"] or None,
        start_at=_number_value(values["startAt"], "startAt") or 0,
    )


def _number_value(value: Any, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        raise JiraError(400, f"The '{name}' parameter must be an integer.") from None


def _wanted_fields(tokens: list[str]) -> tuple[tuple[str, ...], bool]:
    """The field ids asked for, in Jira's order, and whether only id/key were (the cheap census)."""
    every = render.all_field_ids()
    chosen: set[str] = set()
    dropped = {token[1:] for token in tokens if token.startswith("-")}
    for token in tokens:
        if token in ("*all", "*navigable") or (token.startswith("-") and not chosen):
            chosen.update(every)
        elif token in every or token in ("id", "key"):
            chosen.add(token)
    chosen -= dropped
    if chosen <= {"id", "key"}:
        return tuple(sorted(chosen or {"id"})), True
    return tuple(name for name in every if name in chosen), False


# -- search helpers -------------------------------------------------------------------------------


def _admits(query: Query, issue: Issue) -> bool:
    if query.projects is not None and issue.project.key not in query.projects:
        return False
    if query.keys is not None and issue.key not in query.keys:
        return False
    if query.ids is not None and issue.id not in query.ids:
        return False
    return all(
        bound.admits(issue.updated if bound.field == "updated" else issue.created) for bound in query.bounds
    )


def _order_key(query: Query) -> Callable[[Issue], tuple[Any, ...]]:
    """Sort key for ORDER BY; descending parts negate timestamps and numbers, keys by (project, -n)."""

    def part(issue: Issue, name: str, descending: bool) -> Any:
        if name == "key":
            project, _, number = issue.key.rpartition("-")
            value: Any = (project, int(number))
            return (tuple(-ord(c) for c in project), -int(number)) if descending else value
        number = issue.id if name == "id" else getattr(issue, name).timestamp()
        return -number if descending else number

    return lambda issue: tuple(part(issue, name, descending) for name, descending in query.order)


def _page(url: str, start: int, limit: int, total: int, request: Request | None = None) -> dict[str, Any]:
    """The offset-page envelope {self, nextPage?, maxResults, startAt, total, isLast}."""
    kept = [] if request is None else [(k, v) for k, v in request.query if k not in ("startAt", "maxResults")]
    page: dict[str, Any] = {"self": f"{url}?{urlencode([*kept, ('startAt', start), ('maxResults', limit)])}"}
    if start + limit < total:
        page["nextPage"] = f"{url}?{urlencode([*kept, ('startAt', start + limit), ('maxResults', limit)])}"
    page.update({"maxResults": limit, "startAt": start, "total": total, "isLast": start + limit >= total})
    return page


def _bulk_token(offset: int, signature: str) -> str:
    return base64.urlsafe_b64encode(f"{signature}:{offset}".encode()).decode().rstrip("=")


def _bulk_offset(token: Any, signature: str) -> int:
    if not token:
        return 0
    try:
        decoded = base64.urlsafe_b64decode(str(token) + "=" * (-len(str(token)) % 4)).decode()
        found_signature, _, offset = decoded.partition(":")
        if found_signature == signature:
            return int(offset)
    except ValueError:
        pass
    raise JiraError(400, "The provided next page token is invalid or expired.")


# -- versions -------------------------------------------------------------------------------------


def _version_status(version: Version) -> set[str]:
    return {"archived"} if version.archived else {"released"} if version.released else {"unreleased"}


def _ordered_versions(versions: list[Version], order_by: str) -> list[Version]:
    """orderBy for versions; by a date, the versions without one come last either way."""
    descending, name = order_by.startswith("-"), order_by.lstrip("+-")
    keys: dict[str, Callable[[Version], Any]] = {
        "sequence": lambda v: v.sequence,
        "name": lambda v: v.name,
        "description": lambda v: v.description,
        "releaseDate": lambda v: v.release_date,
        "startDate": lambda v: v.start_date,
    }
    if name not in keys:
        raise JiraError(400, f"Invalid orderBy value '{order_by}'.")
    key = keys[name]
    dated = sorted((v for v in versions if key(v) is not None), key=key, reverse=descending)
    return dated + sorted((v for v in versions if key(v) is None), key=lambda v: v.sequence)


def _json(status: int, payload: Any, headers: list[tuple[str, str]]) -> Response:
    return Response(
        status, json_bytes(payload), [("Content-Type", "application/json;charset=UTF-8"), *headers]
    )
