"""The GitLab REST API (v4) over the in-memory model: the read endpoints a tracker sync needs.

Mounted at /gitlab, which stands for https://HOST/api/v4 the way GitHub's mount stands for GitHub
Enterprise's /api/v3: a source's base_url is `<server>/gitlab`, and `GET <base_url>/projects/5`
is GitLab's `GET /api/v4/projects/5`.

Served (GET and HEAD; `:id` a project's or group's id or URL-encoded path):
- /projects (`order_by`, `sort`, keyset by id), /projects/:id, /groups/:id/projects
- /projects/:id/issues (`state` opened|closed|all, default all; `scope`; `updated_after/_before`,
  `created_after/_before`; `order_by`, default created_at; `sort`, default desc; `iids[]`,
  `issue_type`; offset or keyset pages), /projects/:id/issues/:iid
- /projects/:id/issues/:iid/resource_{state,label,milestone,iteration}_events (oldest first)
- /projects/:id/milestones (`state` active|closed, `include_ancestors`, `title`, `iids[]`,
  `updated_after/_before`), /groups/:id/milestones (the same, `include_descendants`)
- /groups/:id/iterations (`state` opened|upcoming|current|closed|all, `updated_after/_before`)
- /projects/:id/merge_requests (`state` opened|closed|locked|merged|all, default all; `order_by`
  created_at|updated_at|title|merged_at; `sort`; `updated_after/_before`, `created_after/_before`),
  /projects/:id/merge_requests/:iid, /projects/:id/merge_requests/:iid/closes_issues

Behaves like gitlab.com where a connector can tell:
- auth by `PRIVATE-TOKEN: <token>` or `Authorization: Bearer <token>`; otherwise 401
  `{"message":"401 Unauthorized"}`;
- a per-token budget per minute in `RateLimit-Limit/-Observed/-Remaining/-Reset/-ResetTime`
  headers (no `X-` prefix); once spent, 429 `Retry later` with `Retry-After`;
- bare JSON arrays paged by `page`/`per_page` (default 20, at most 100) with `Link` (prev, next,
  first, last), `X-Page`, `X-Per-Page`, `X-Next-Page`, `X-Prev-Page`, `X-Total`, `X-Total-Pages`;
  past 10,000 items `X-Total`, `X-Total-Pages` and rel="last" are left out;
- keyset pagination where GitLab offers it: `pagination=keyset` on /projects (order_by=id,
  `id_after`/`id_before` in the next link) and on project issues (order_by created_at, updated_at,
  id or title; an opaque `cursor`); the next page only through `Link` rel="next", absent on the
  last page. Other orders on issues fall back to offset paging, as GitLab does;
- projects by numeric id or URL-encoded path (`acme%2Fplatform`); weak ETags with 304 answers;
- GitLab's refusals: 400 `{"error": "state does not have a valid value"}`, 404
  `{"message": "404 Project Not Found"}`, 403 for iterations (and iteration events) of a free-tier
  group.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import itertools
import json
import re
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from email.utils import formatdate
from typing import Any

from emulators.exchange import Request, Response, json_bytes
from emulators.gitlab import render
from emulators.gitlab.model import GitLabModel, Group, Issue, MergeRequest, Milestone, Project
from emulators.gitlab.paging import Keyset, Listing, id_keyset, keyset_page, offset_page
from emulators.gitlab.params import (
    ApiError,
    choice,
    flag,
    invalid,
    not_found,
    time_bounds,
    timestamp_param,
)
from emulators.rate_limit import Budget, RateLimits

RATE_LIMIT = 2000  # gitlab.com's authenticated API requests per minute
THROTTLED = "Retry later"  # a 429's message (a plain-text body)
THROTTLE = ("RateLimit-Name", "throttle_authenticated_api")  # the throttle that refused
JSON = ("Content-Type", "application/json")
# Issue orders keyset pagination serves here; GitLab falls back to offset paging for the rest.
ISSUE_KEYSET_ORDERS = ("created_at", "updated_at", "id", "title")
ISSUE_ORDERS = (
    "created_at", "updated_at", "priority", "due_date", "relative_position", "label_priority",
    "milestone_due", "popularity", "weight", "title", "id",
)  # fmt: skip
ITERATION_STATES = ("opened", "upcoming", "current", "closed", "all")
ITERATION_STATE_NUMBERS = {"upcoming": (1,), "current": (2,), "opened": (1, 2), "closed": (3,)}

PROJECT = r"^/projects/(?P<project>[^/]+)"
GROUP = r"^/groups/(?P<group>[^/]+)"


class GitLabApi:
    """The handler mounted at /gitlab: `rate_limit` requests per token per `window_seconds`."""

    def __init__(
        self,
        model: GitLabModel,
        rate_limit: int = RATE_LIMIT,
        window_seconds: int = 60,
        limits: RateLimits | None = None,
    ) -> None:
        self.model = model
        self.rate_limit = rate_limit
        self.limits = limits or RateLimits(window_seconds)
        self._request_ids = itertools.count(1)
        self._routes: list[tuple[re.Pattern[str], Callable[..., tuple[Any, list[tuple[str, str]]]]]] = [
            (re.compile(r"^/projects$"), self._projects),
            (re.compile(PROJECT + r"$"), self._project),
            (re.compile(PROJECT + r"/issues$"), self._issues),
            (re.compile(PROJECT + r"/issues/(?P<iid>\d+)$"), self._issue),
            (
                re.compile(
                    PROJECT
                    + r"/issues/(?P<iid>\d+)/resource_(?P<kind>state|label|milestone|iteration)_events$"
                ),
                self._resource_events,
            ),
            (re.compile(PROJECT + r"/milestones$"), self._project_milestones),
            (re.compile(PROJECT + r"/merge_requests$"), self._merge_requests),
            (re.compile(PROJECT + r"/merge_requests/(?P<iid>\d+)$"), self._merge_request),
            (re.compile(PROJECT + r"/merge_requests/(?P<iid>\d+)/closes_issues$"), self._closes_issues),
            (re.compile(GROUP + r"/milestones$"), self._group_milestones),
            (re.compile(GROUP + r"/iterations$"), self._iterations),
            (re.compile(GROUP + r"/projects$"), self._group_projects),
        ]

    def handle(self, request: Request) -> Response:
        token = _token(request)
        if not token:
            return Response(401, json_bytes({"message": "401 Unauthorized"}), [JSON])
        key = f"token:{token}"
        budget = self.limits.spend(key, self.rate_limit)
        if budget is None:
            current = self.limits.current(key, self.rate_limit)
            retry_after = max(1, current.reset - int(time.time()))
            headers = [
                ("Content-Type", "text/plain"),
                *_rate_headers(current),
                THROTTLE,
                ("Retry-After", str(retry_after)),
            ]
            return Response(429, f"{THROTTLED}\n".encode(), headers)
        try:
            if request.method not in ("GET", "HEAD"):
                raise not_found()
            with self.model.lock:
                payload, extra = self._route(request)
            status = 200
        except ApiError as error:
            status, payload, extra = error.status, error.payload, []
        body = json_bytes(payload)
        headers = [JSON, ("Cache-Control", "max-age=0, private, must-revalidate")]
        if status == 200:
            etag = f'W/"{hashlib.md5(body, usedforsecurity=False).hexdigest()}"'
            headers.append(("ETag", etag))
            if _matches(request.headers.get("If-None-Match"), etag):
                status, body = 304, b""
        headers += [
            ("Vary", "Origin, Accept-Encoding"),
            *extra,
            *_rate_headers(budget),
            ("X-Request-Id", f"01EMU{next(self._request_ids):021d}"),
        ]
        return Response(status, body, headers)

    def edit_served_issue(
        self, request: Request, pick: Callable[[Sequence[Issue]], Issue], retitle: Callable[[str], str]
    ) -> bool:
        """Fault hook: rename an issue this issues walk was already served, as a user may mid-sync.

        The edit moves it behind the walk in updated_at order. "Already served" is what the pages
        before this one held, or what a keyset cursor or `updated_after` has passed.
        """
        match = re.match(PROJECT + r"/issues$", request.path)
        if match is None or request.method != "GET":
            return False
        with self.model.lock:
            project = self.model.project(match["project"])
            if project is None:
                return False
            try:
                listed, _ = self._issues(request, match["project"])
            except ApiError:
                return False
            on_page = {issue["iid"] for issue in listed}
            after = timestamp_param(request, "updated_after")
            everything = self._issues_in_order(request, project)
            position = next(
                (index for index, issue in enumerate(everything) if issue.iid in on_page), len(everything)
            )
            served = list(everything[:position])
            if after is not None:
                served += [issue for issue in project.issues.values() if issue.updated_at < after]
            if not served:
                return False
            chosen = pick(sorted(set(served), key=lambda issue: issue.iid))
            project.update_issue(chosen.iid, title=retitle(chosen.title))
        return True

    def _issues_in_order(self, request: Request, project: Project) -> list[Issue]:
        """The project's issues in the walk's order, without its filters (what a full walk passes)."""
        order_by = choice(request, "order_by", ISSUE_ORDERS, "created_at")
        items = _sorted_issues(project, "all", order_by)
        return (
            _descending(items, order_by)
            if choice(request, "sort", ("asc", "desc"), "desc") == "desc"
            else items
        )

    def _route(self, request: Request) -> tuple[Any, list[tuple[str, str]]]:
        for pattern, answer in self._routes:
            match = pattern.match(request.path.rstrip("/") or "/")
            if match:
                return answer(request, **match.groupdict())
        raise not_found()

    # -- lookups ----------------------------------------------------------------------------------

    def _find_project(self, ref: str) -> Project:
        found = self.model.project(ref)
        if found is None:
            raise not_found("Project")
        return found

    def _find_group(self, ref: str) -> Group:
        found = self.model.group(ref)
        if found is None:
            raise not_found("Group")
        return found

    def _today(self) -> date:
        return self.model.clock.now.date()

    # -- single objects -------------------------------------------------------------------------

    def _project(self, request: Request, project: str) -> tuple[Any, list[tuple[str, str]]]:
        return render.project(self._find_project(project)), []

    def _issue(self, request: Request, project: str, iid: str) -> tuple[Any, list[tuple[str, str]]]:
        found = self._find_project(project)
        issue = found.issues.get(int(iid))
        if issue is None:
            raise not_found("Issue")
        return render.issue(issue, self._today(), _mr_counts(found).get(issue.iid, 0)), []

    def _merge_request(self, request: Request, project: str, iid: str) -> tuple[Any, list[tuple[str, str]]]:
        return render.merge_request(self._find_merge_request(project, iid), self._today()), []

    def _find_merge_request(self, project: str, iid: str) -> MergeRequest:
        found = self._find_project(project).merge_requests.get(int(iid))
        if found is None:
            raise not_found("Merge Request")
        return found

    # -- lists ------------------------------------------------------------------------------------

    def _projects(self, request: Request) -> tuple[Any, list[tuple[str, str]]]:
        items = sorted(self.model.projects.values(), key=lambda item: item.id)
        return self._list_projects(request, items, keyset=True)

    def _group_projects(self, request: Request, group: str) -> tuple[Any, list[tuple[str, str]]]:
        return self._list_projects(request, sorted(self._find_group(group).projects, key=lambda p: p.id))

    def _list_projects(
        self, request: Request, by_id: list[Project], keyset: bool = False
    ) -> tuple[Any, list[tuple[str, str]]]:
        order_by = choice(
            request,
            "order_by",
            ("id", "name", "path", "created_at", "updated_at", "last_activity_at"),
            "created_at",
        )
        descending = choice(request, "sort", ("asc", "desc"), "desc") == "desc"
        if keyset and request.param("pagination") == "keyset":
            if order_by != "id":
                raise ApiError(
                    405, {"error": "Keyset pagination is not yet available for this type of request"}
                )
            listing = Listing(by_id[::-1] if descending else by_id, render.project, id_keyset(descending))
            return keyset_page(request, listing)
        keys: dict[str, Callable[[Project], Any]] = {
            "id": lambda p: p.id,
            "name": lambda p: (p.name, p.id),
            "path": lambda p: (p.path, p.id),
            "created_at": lambda p: (p.created_at, p.id),
            "updated_at": lambda p: (p.last_activity_at, p.id),
            "last_activity_at": lambda p: (p.last_activity_at, p.id),
        }
        items = sorted(by_id, key=keys[order_by], reverse=descending)
        return offset_page(request, Listing(items, render.project))

    def _issues(self, request: Request, project: str) -> tuple[Any, list[tuple[str, str]]]:
        found = self._find_project(project)
        state = choice(request, "state", ("opened", "closed", "all"), "all")
        scope = choice(request, "scope", ("created_by_me", "assigned_to_me", "all"), "all")
        order_by = choice(request, "order_by", ISSUE_ORDERS, "created_at")
        descending = choice(request, "sort", ("asc", "desc"), "desc") == "desc"
        issue_type = choice(request, "issue_type", ("issue", "incident", "test_case", "task"), "")
        iids = {int(value) for key, value in request.query if key in ("iids[]", "iids") and value.isdigit()}
        updated, created = time_bounds(request, "updated"), time_bounds(request, "created")
        items = _sorted_issues(found, state, order_by)
        after = timestamp_param(request, "updated_after")
        if order_by == "updated_at" and after is not None:  # the incremental sync's query: a binary search
            items = items[bisect.bisect_left(items, after, key=lambda issue: issue.updated_at) :]
        if scope != "all":
            items = []  # the token's user (a bot) authored and was assigned no issue
        checks: list[Callable[[Issue], bool]] = [
            lambda issue: updated(issue.updated_at) and created(issue.created_at),
            *([lambda issue: issue.iid in iids] if iids else []),
            *([lambda issue: issue.issue_type.lower() == issue_type] if issue_type else []),
        ]
        items = [issue for issue in items if all(check(issue) for check in checks)]
        items = _descending(items, order_by) if descending else items
        counts = _mr_counts(found)
        today = self._today()
        listing = Listing(items, lambda issue: render.issue(issue, today, counts.get(issue.iid, 0)))
        if request.param("pagination") == "keyset" and order_by in ISSUE_KEYSET_ORDERS:
            ascending = items[::-1] if descending else items
            listing.keyset = _cursor_keyset(order_by, descending, ascending)
        return offset_page(request, listing) if listing.keyset is None else keyset_page(request, listing)

    def _resource_events(
        self, request: Request, project: str, iid: str, kind: str
    ) -> tuple[Any, list[tuple[str, str]]]:
        found = self._find_project(project)
        issue = found.issues.get(int(iid))
        if issue is None:
            raise not_found("Issue")
        if kind == "iteration" and not found.group.premium:
            raise ApiError(403, {"message": "403 Forbidden"})
        today = self._today()
        events: dict[str, tuple[Sequence[Any], Callable[[Any], Any]]] = {
            "state": (issue.state_events, lambda event: render.state_event(issue.id, event)),
            "label": (issue.label_events, lambda event: render.label_event(issue.id, event)),
            "milestone": (
                issue.milestone_events,
                lambda event: render.milestone_event(issue.id, event, today),
            ),
            "iteration": (
                issue.iteration_events,
                lambda event: render.iteration_event(issue.id, event, today),
            ),
        }
        items, draw = events[kind]
        return offset_page(request, Listing(sorted(items, key=lambda e: (e.created_at, e.id)), draw))

    def _project_milestones(self, request: Request, project: str) -> tuple[Any, list[tuple[str, str]]]:
        found = self._find_project(project)
        ancestors = flag(request, "include_ancestors") or flag(request, "include_parent_milestones")
        chosen = found.visible_milestones() if ancestors else list(found.milestones)
        return self._list_milestones(request, chosen, allow_iids=not ancestors)

    def _group_milestones(self, request: Request, group: str) -> tuple[Any, list[tuple[str, str]]]:
        found = self._find_group(group)
        chosen = list(found.milestones)
        if flag(request, "include_descendants"):
            chosen += [item for project in found.projects for item in project.milestones]
        return self._list_milestones(request, chosen, allow_iids=True)

    def _list_milestones(
        self, request: Request, chosen: list[Milestone], allow_iids: bool
    ) -> tuple[Any, list[tuple[str, str]]]:
        state = choice(request, "state", ("active", "closed"), "")
        title = request.param("title")
        iids = {int(value) for key, value in request.query if key == "iids[]" and value.isdigit()}
        bounds = time_bounds(request, "updated")
        items = [
            item
            for item in chosen
            if (not state or item.state == state)
            and (title is None or item.title == title)
            and (not allow_iids or not iids or item.iid in iids)
            and bounds(item.updated_at)
        ]
        # Due date first (undated last), then title, as GitLab's milestone finder orders them.
        items.sort(key=lambda item: (item.due_date is None, item.due_date or date.min, item.title, item.id))
        today = self._today()
        return offset_page(request, Listing(items, lambda item: render.milestone(item, today)))

    def _iterations(self, request: Request, group: str) -> tuple[Any, list[tuple[str, str]]]:
        found = self._find_group(group)
        if not found.premium:
            raise ApiError(403, {"message": "403 Forbidden"})
        state = choice(request, "state", ITERATION_STATES, "all")
        bounds = time_bounds(request, "updated")
        today = self._today()
        wanted = ITERATION_STATE_NUMBERS.get(state)
        items = [
            item
            for item in found.iterations
            if (wanted is None or item.state(today) in wanted) and bounds(item.updated_at)
        ]
        items.sort(key=lambda item: (item.start_date, item.id))
        return offset_page(request, Listing(items, lambda item: render.iteration(item, today)))

    def _merge_requests(self, request: Request, project: str) -> tuple[Any, list[tuple[str, str]]]:
        found = self._find_project(project)
        state = choice(request, "state", ("opened", "closed", "locked", "merged", "all"), "all")
        order_by = choice(
            request, "order_by", ("created_at", "updated_at", "title", "merged_at"), "created_at"
        )
        descending = choice(request, "sort", ("asc", "desc"), "desc") == "desc"
        choice(request, "scope", ("created_by_me", "assigned_to_me", "all"), "all")
        bounds = time_bounds(request, "updated")
        created = time_bounds(request, "created")
        keys: dict[str, Callable[[MergeRequest], Any]] = {
            "created_at": lambda item: (item.created_at, item.id),
            "updated_at": lambda item: (item.updated_at, item.id),
            "title": lambda item: (item.title, item.id),
            "merged_at": lambda item: (item.merged_at or datetime.max.replace(tzinfo=UTC), item.id),
        }
        items = sorted(
            (
                item
                for item in found.merge_requests.values()
                if (state == "all" or item.state == state)
                and bounds(item.updated_at)
                and created(item.created_at)
            ),
            key=keys[order_by],
            reverse=descending,
        )
        today = self._today()
        return offset_page(request, Listing(items, lambda item: render.merge_request(item, today)))

    def _closes_issues(self, request: Request, project: str, iid: str) -> tuple[Any, list[tuple[str, str]]]:
        merge_request = self._find_merge_request(project, iid)
        found = merge_request.project
        counts = _mr_counts(found)
        today = self._today()
        items = found.closes_issues(merge_request)
        return offset_page(
            request, Listing(items, lambda issue: render.issue(issue, today, counts.get(issue.iid, 0)))
        )


# -- sorting and filtering ------------------------------------------------------------------------


def _issue_key(order_by: str) -> Callable[[Issue], Any]:
    """Ascending sort key; orders that need data the emulator lacks (priority, popularity) use id."""
    keys: dict[str, Callable[[Issue], Any]] = {
        "created_at": lambda issue: (issue.created_at, issue.id),
        "updated_at": lambda issue: (issue.updated_at, issue.id),
        "title": lambda issue: (issue.title, issue.id),
        "due_date": lambda issue: (issue.due_date is None, issue.due_date or date.min, issue.id),
        "weight": lambda issue: (issue.weight is None, issue.weight or 0, issue.id),
        "milestone_due": lambda issue: (
            issue.milestone is None or issue.milestone.due_date is None,
            (issue.milestone and issue.milestone.due_date) or date.min,
            issue.id,
        ),
    }
    return keys.get(order_by, lambda issue: issue.id)


def _sorted_issues(project: Project, state: str, order_by: str) -> list[Issue]:
    """The project's issues in `state`, ascending by `order_by`; kept until the model changes."""

    def build() -> list[Issue]:
        chosen = (issue for issue in project.issues.values() if state == "all" or issue.state == state)
        return sorted(chosen, key=_issue_key(order_by))

    return project.model.cached(("issues", project.id, state, order_by), build)


def _descending(items: list[Issue], order_by: str) -> list[Issue]:
    """Reverse an ascending list; undated/unweighted items stay last, as GitLab's NULLS LAST."""
    if order_by not in ("due_date", "weight", "milestone_due"):
        return items[::-1]
    nullable = {"due_date": "due_date", "weight": "weight"}.get(order_by)
    empty = [item for item in items if nullable and getattr(item, nullable) is None]
    valued = [item for item in items if item not in empty] if empty else items
    return valued[::-1] + empty


def _mr_counts(project: Project) -> dict[int, int]:
    """How many merge requests close each issue (the issues' `merge_requests_count`)."""

    def build() -> dict[int, int]:
        counts: dict[int, int] = {}
        for merge_request in project.merge_requests.values():
            for iid in merge_request.closing_iids:
                counts[iid] = counts.get(iid, 0) + 1
        return counts

    return project.model.cached(("mr_counts", project.id), build)


def _cursor_keyset(order_by: str, descending: bool, ascending: list[Issue]) -> Keyset:
    """Project issues' keyset: an opaque base64 cursor of the last item's order value and id.

    Positions compare values, not places: an issue edited after its page was served moves behind
    the cursor (updated_at order) and is served again later, as on GitLab.
    """
    key = _issue_key(order_by)

    def encode(issue: Issue) -> dict[str, str]:
        raw = getattr(issue, order_by)
        value = render.timestamp(raw) if isinstance(raw, datetime) else str(raw)
        cursor = json.dumps({order_by: value, "id": str(issue.id), "_kd": "n"}, ensure_ascii=False)
        return {"cursor": base64.urlsafe_b64encode(cursor.encode()).decode()}

    def decode(cursor: str) -> tuple[Any, int]:
        try:
            fields = json.loads(base64.urlsafe_b64decode(cursor.encode()))
            raw, issue_id = fields[order_by], int(fields["id"])
            if order_by in ("created_at", "updated_at"):
                return datetime.fromisoformat(raw.replace("Z", "+00:00")), issue_id
            return (int(raw) if order_by == "id" else raw), issue_id
        except (ValueError, KeyError, TypeError):
            raise invalid("cursor", "is invalid") from None

    def after(request: Request, items: Sequence[Issue]) -> Sequence[Issue]:
        cursor = request.param("cursor")
        if not cursor:
            return items
        value, issue_id = decode(cursor)
        position = value if order_by == "id" else (value, issue_id)
        if descending:
            return ascending[: bisect.bisect_left(ascending, position, key=key)][::-1]
        return ascending[bisect.bisect_right(ascending, position, key=key) :]

    return Keyset(after, encode)


def _token(request: Request) -> str | None:
    """The token of `PRIVATE-TOKEN`, `Authorization: Bearer`, or the `private_token` parameter."""
    private = request.headers.get("PRIVATE-TOKEN")
    if private and private.strip():
        return private.strip()
    scheme, _, credential = (request.headers.get("Authorization") or "").strip().partition(" ")
    if scheme.lower() == "bearer" and credential.strip():
        return credential.strip()
    return request.param("private_token") or None


def _rate_headers(budget: Budget) -> list[tuple[str, str]]:
    return [
        ("RateLimit-Observed", str(budget.used)),
        ("RateLimit-Remaining", str(budget.remaining)),
        ("RateLimit-Reset", str(budget.reset)),
        ("RateLimit-ResetTime", formatdate(budget.reset, usegmt=True)),
        ("RateLimit-Limit", str(budget.limit)),
    ]


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    return "*" in if_none_match or etag in {candidate.strip() for candidate in if_none_match.split(",")}
