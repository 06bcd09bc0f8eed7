"""The GitHub REST API over the in-memory model: the read endpoints trackerlake syncs from.

Behaves like api.github.com where a connector can tell: bearer/token auth (401 without), a real
per-token budget in X-RateLimit-* headers (403 once spent), strong ETags with 304 answers that cost
nothing, bare JSON arrays paged only through `Link` headers whose URLs are rewritten to
/repositories/{id}/..., and GitHub's defaults and limits for every list parameter.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import math
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from emulators.exchange import Request, Response, json_bytes
from emulators.github import render
from emulators.github.model import GitHubModel, Issue, Milestone, Repo
from emulators.github.rate_limit import budget_headers, core_resource
from emulators.rate_limit import Budget, RateLimits

DOCS = "https://docs.github.com/rest"
RATE_LIMIT_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
ANONYMOUS_LIMIT = 60  # GitHub's budget for requests without a token
# GitHub's secondary limit on concurrency: no more than 100 requests in flight at once.
MAX_CONCURRENT = 100
SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID."
)
DEFAULT_PER_PAGE, MAX_PER_PAGE = 30, 100

REPO_BY_NAME = re.compile(r"^/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)(?P<rest>/.*)?$")
REPO_BY_ID = re.compile(r"^/repositories/(?P<id>\d+)(?P<rest>/.*)?$")
ONE_ISSUE = re.compile(r"^/issues/(?P<number>\d+)$")
ONE_MILESTONE = re.compile(r"^/milestones/(?P<number>\d+)$")


class ApiError(Exception):
    """A refusal in GitHub's words: the HTTP status, the JSON body and any headers GitHub would send."""

    def __init__(
        self, http_status: int, message: str, headers: Sequence[tuple[str, str]] = (), **extra: Any
    ) -> None:
        super().__init__(message)
        self.http_status, self.payload = http_status, {"message": message, **extra}
        self.headers = list(headers)


def _not_found() -> ApiError:
    return ApiError(404, "Not Found", documentation_url=DOCS, status="404")


def _moved(request: Request, target: Repo, issue: Issue) -> ApiError:
    """A transferred issue's old URL: 301 to where it lives now (sub-resources are not redirected)."""
    url = f"{request.base_url}/repositories/{target.id}/issues/{issue.number}"
    docs = "https://docs.github.com/rest/guides/best-practices-for-using-the-rest-api#follow-redirects"
    return ApiError(301, "Moved Permanently", [("Location", url)], url=url, documentation_url=docs)


def _invalid(resource: str, field: str) -> ApiError:
    errors = [{"resource": resource, "field": field, "code": "invalid"}]
    return ApiError(422, "Validation Failed", errors=errors, documentation_url=DOCS, status="422")


@dataclass
class Listing:
    """One list endpoint's matching items, in order, and how to render the page asked for."""

    items: Sequence[Any]
    render: Callable[[Any], Any]


class GitHubApi:
    """The handler mounted at /github. `rate_limit` is each token's budget per `window_seconds`.

    More than `max_concurrent` requests in flight at once meet the secondary limit (a 403 with
    `Retry-After: secondary_retry_after`), as on GitHub; `concurrency_refusals` counts them and
    `peak_in_flight` is the most requests seen in flight at once.
    """

    def __init__(
        self,
        model: GitHubModel,
        rate_limit: int = 5000,
        window_seconds: int = 3600,
        limits: RateLimits | None = None,
        max_concurrent: int = MAX_CONCURRENT,
        secondary_retry_after: int = 60,
    ) -> None:
        self.model = model
        self.rate_limit = rate_limit
        self.limits = limits or RateLimits(window_seconds)
        self.max_concurrent, self.secondary_retry_after = max_concurrent, secondary_retry_after
        self.concurrency_refusals = self.peak_in_flight = 0
        self._in_flight = 0
        self._in_flight_lock = threading.Lock()
        self._request_ids = itertools.count(1)

    def handle(self, request: Request) -> Response:
        with self._in_flight_lock:
            self._in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
            refused = self._in_flight > self.max_concurrent
            self.concurrency_refusals += refused
        try:
            if refused:
                body = json_bytes({"message": SECONDARY_MESSAGE, "documentation_url": RATE_LIMIT_DOCS})
                headers = [("Content-Type", "application/json; charset=utf-8")]
                return Response(403, body, [*headers, ("Retry-After", str(self.secondary_retry_after))])
            return self._answer(request)
        finally:
            with self._in_flight_lock:
                self._in_flight -= 1

    def _answer(self, request: Request) -> Response:
        token = _token(request.headers.get("Authorization"))
        if not token:
            anonymous = ("anonymous", ANONYMOUS_LIMIT)
            budget = self.limits.spend(*anonymous) or self.limits.current(*anonymous)
            message = "Requires authentication" if token is None else "Bad credentials"
            error = {"message": message, "documentation_url": DOCS, "status": "401"}
            return self._respond(401, json_bytes(error), [], budget)
        key = f"token:{token}"
        free = request.path == "/rate_limit"  # reading the budget does not spend it
        try:
            if request.method not in ("GET", "HEAD"):
                raise _not_found()
            if free:
                payload, link = (
                    render.rate_limit(core_resource(self.limits.current(key, self.rate_limit))),
                    None,
                )
            else:
                with self.model.lock:
                    payload, link = self._route(request)
            status = 200
            moved: list[tuple[str, str]] = []
        except ApiError as error:
            status, payload, link, moved = error.http_status, error.payload, None, error.headers
        body = json_bytes(payload)
        etag = f'"{hashlib.sha256(body).hexdigest()}"' if status == 200 else None
        if etag and _matches(request.headers.get("If-None-Match"), etag):
            # A conditional hit is free, as on GitHub: the whole point of sending If-None-Match.
            return self._respond(304, b"", [("ETag", etag)], self.limits.current(key, self.rate_limit))
        budget = (
            self.limits.current(key, self.rate_limit) if free else self.limits.spend(key, self.rate_limit)
        )
        if budget is None:
            message = f"API rate limit exceeded for user ID {_user_id(token)}."
            refused = {"message": message, "documentation_url": RATE_LIMIT_DOCS, "status": "403"}
            return self._respond(403, json_bytes(refused), [], self.limits.current(key, self.rate_limit))
        extra = [("ETag", etag)] if etag else moved
        if link:
            extra.append(("Link", link))
        return self._respond(status, body, extra, budget)

    def _respond(self, status: int, body: bytes, extra: list[tuple[str, str]], budget: Budget) -> Response:
        request_id = next(self._request_ids)
        headers = [
            ("Content-Type", "application/json; charset=utf-8"),
            ("Cache-Control", "private, max-age=60, s-maxage=60"),
            ("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP"),
            ("X-GitHub-Media-Type", "github.v3; format=json"),
            ("X-GitHub-Api-Version-Selected", "2022-11-28"),
            *extra,
            *budget_headers(budget),
            ("X-GitHub-Request-Id", f"E000:{request_id:04X}:{request_id:06X}"),
        ]
        return Response(status, body, headers)

    # -- routes ---------------------------------------------------------------------------------

    def edit_served_issue(
        self, request: Request, pick: Callable[[Sequence[Issue]], Issue], retitle: Callable[[str], str]
    ) -> bool:
        """Fault hook: rename an issue this issues-list walk was already served, as a user may mid-sync.

        The edit moves it to the end of an updated_at-sorted list, and the rows behind it shift back
        one place. "Already served" is the pages before this one, or what sorts before `since`.
        """
        repo, rest = self._locate(request.path)
        if repo is None or rest != "/issues" or request.method != "GET":
            return False
        with self.model.lock:
            per_page = min(_positive_int(request, "per_page", DEFAULT_PER_PAGE), MAX_PER_PAGE)
            offset = (_positive_int(request, "page", 1) - 1) * per_page
            since = _since(request)
            if offset:
                served = list(_issues(repo, request).items[:offset])
            else:
                served = [i for i in repo.issues.values() if since is not None and i.updated_at < since]
            served = [issue for issue in served if issue.pull is None]
            if not served:
                return False
            chosen = pick(sorted(served, key=lambda issue: issue.number))
            repo.update_issue(chosen.number, title=retitle(chosen.title))
        return True

    def _locate(self, path: str) -> tuple[Repo | None, str]:
        """The repo a path names (by owner/name or by id) and the rest of the path after it."""
        by_name, by_id = REPO_BY_NAME.match(path), REPO_BY_ID.match(path)
        if by_name:
            return self.model.repo(f"{by_name['owner']}/{by_name['name']}"), (by_name["rest"] or "").rstrip(
                "/"
            )
        if by_id:
            return self.model.repo_by_id(int(by_id["id"])), (by_id["rest"] or "").rstrip("/")
        return None, ""

    def _route(self, request: Request) -> tuple[Any, str | None]:
        """The payload and Link header for a GET; raises ApiError for what GitHub refuses."""
        repo, rest = self._locate(request.path)
        if repo is None:
            raise _not_found()
        if rest in LISTS:
            listing = LISTS[rest](repo, request)
            return _page(request, listing, f"/repositories/{repo.id}{rest}")
        if rest == "":
            return render.repository(repo), None
        counts = repo.milestone_counts()
        if match := ONE_ISSUE.match(rest):
            found = repo.issues.get(int(match["number"]))
            if found is None and int(match["number"]) in repo.moved:
                raise _moved(request, *repo.moved[int(match["number"])])
            if found is None:
                raise _not_found()
            return render.issue(repo, found, counts), None
        if match := ONE_MILESTONE.match(rest):
            milestone = repo.milestones.get(int(match["number"]))
            if milestone is None:
                raise _not_found()
            return render.milestone(repo, milestone, counts), None
        raise _not_found()


# -- list endpoints -------------------------------------------------------------------------------


def _issues(repo: Repo, request: Request) -> Listing:
    """GET /repos/{o}/{r}/issues: issues and pull requests; since filters on updated_at."""
    state = _choice(request, "state", ("open", "closed", "all"), "open", "Issue")
    sort = _choice(request, "sort", ("created", "updated", "comments"), "created", "Issue")
    descending = _choice(request, "direction", ("asc", "desc"), "desc", "Issue") == "desc"
    since = _since(request)
    keys: dict[str, Callable[[Issue], Any]] = {
        "created": lambda item: (item.created_at, item.number),
        "updated": lambda item: (item.updated_at, item.number),
        "comments": lambda item: (item.comments, item.number),
    }
    items = _selected(repo, "issues", state, keys[sort], sort)
    if since is not None and sort == "updated":  # the incremental sync's query: a binary search
        items = items[bisect.bisect_left(items, since, key=lambda item: item.updated_at) :]
    elif since is not None:
        items = [item for item in items if item.updated_at >= since]
    items = items[::-1] if descending else items
    counts = repo.milestone_counts()
    return Listing(items, lambda item: render.issue(repo, item, counts))


def _pulls(repo: Repo, request: Request) -> Listing:
    """GET /repos/{o}/{r}/pulls: no since; direction defaults to desc only for sort=created."""
    state = _choice(request, "state", ("open", "closed", "all"), "open", "PullRequest")
    sort = _choice(
        request, "sort", ("created", "updated", "popularity", "long-running"), "created", "PullRequest"
    )
    default_direction = "desc" if sort == "created" else "asc"
    descending = _choice(request, "direction", ("asc", "desc"), default_direction, "PullRequest") == "desc"
    keys: dict[str, Callable[[Issue], Any]] = {
        "created": lambda item: (item.created_at, item.number),
        "updated": lambda item: (item.updated_at, item.number),
        "popularity": lambda item: (item.comments, item.number),
        "long-running": lambda item: (item.created_at, item.number),
    }
    items = _selected(repo, "pulls", state, keys[sort], sort)
    items = items[::-1] if descending else items
    if sort == "long-running":
        # GitHub: open for more than a month and active within the past month.
        month_ago = repo.model.clock.now - timedelta(days=30)
        items = [item for item in items if item.created_at < month_ago <= item.updated_at]
    counts = repo.milestone_counts()
    return Listing(items, lambda item: render.pull_request(repo, item, counts))


def _milestones(repo: Repo, request: Request) -> Listing:
    """GET /repos/{o}/{r}/milestones: sort due_on (milestones without one last) or completeness."""
    state = _choice(request, "state", ("open", "closed", "all"), "open", "Milestone")
    sort = _choice(request, "sort", ("due_on", "completeness"), "due_on", "Milestone")
    descending = _choice(request, "direction", ("asc", "desc"), "asc", "Milestone") == "desc"
    counts = repo.milestone_counts()
    far_future = datetime.max.replace(tzinfo=UTC)

    def completeness(milestone: Milestone) -> float:
        open_items, closed_items = counts.get(milestone.number, (0, 0))
        return closed_items / (open_items + closed_items) if open_items + closed_items else 0.0

    keys: dict[str, Callable[[Milestone], Any]] = {
        "due_on": lambda item: (item.due_on or far_future, item.number),
        "completeness": lambda item: (completeness(item), item.number),
    }
    chosen = [item for item in repo.milestones.values() if state == "all" or item.state == state]
    items = sorted(chosen, key=keys[sort], reverse=descending)
    return Listing(items, lambda item: render.milestone(repo, item, counts))


def _events(repo: Repo, request: Request) -> Listing:
    """GET /repos/{o}/{r}/issues/events: newest first."""
    counts = repo.milestone_counts()
    return Listing(repo.events[::-1], lambda item: render.event(repo, item, counts))


def _releases(repo: Repo, request: Request) -> Listing:
    """GET /repos/{o}/{r}/releases: newest first."""
    items = sorted(repo.releases, key=lambda item: (item.created_at, item.id), reverse=True)
    return Listing(items, lambda item: render.release(repo, item))


LISTS: dict[str, Callable[[Repo, Request], Listing]] = {
    "/issues": _issues,
    "/issues/events": _events,
    "/pulls": _pulls,
    "/milestones": _milestones,
    "/releases": _releases,
}


# -- parameters, paging and headers -----------------------------------------------------------------


def _selected(repo: Repo, kind: str, state: str, key: Callable[[Issue], Any], sort: str) -> list[Issue]:
    """The repo's issues (kind "issues", pull requests included) or pull requests in `state`, sorted
    ascending; kept until the repo changes, since a sync pages through the same list many times."""

    def select() -> list[Issue]:
        chosen = (
            item
            for item in repo.issues.values()
            if (kind == "issues" or item.pull is not None) and (state == "all" or item.state == state)
        )
        return sorted(chosen, key=key)

    return repo.derived(f"{kind}:{state}:{sort}", select)


def _choice(request: Request, name: str, allowed: tuple[str, ...], default: str, resource: str) -> str:
    value = request.param(name)
    if value is None or value == "":
        return default
    if value not in allowed:
        raise _invalid(resource, name)
    return value


def _since(request: Request) -> datetime | None:
    value = request.param("since")
    if not value:
        return None
    try:
        since = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise _invalid("Issue", "since") from None
    return since.replace(tzinfo=UTC) if since.tzinfo is None else since


def _positive_int(request: Request, name: str, default: int) -> int:
    try:
        value = int(request.param(name) or default)
    except ValueError:
        return default
    return value if value > 0 else default


def _page(request: Request, listing: Listing, link_path: str) -> tuple[list[Any], str | None]:
    """The page asked for (per_page clamped to 100, as GitHub does) and its Link header."""
    per_page = min(_positive_int(request, "per_page", DEFAULT_PER_PAGE), MAX_PER_PAGE)
    page = _positive_int(request, "page", 1)
    last = max(1, math.ceil(len(listing.items) / per_page))
    chosen = listing.items[(page - 1) * per_page : page * per_page]
    return [listing.render(item) for item in chosen], _link(request, link_path, page, last)


def _link(request: Request, path: str, page: int, last: int) -> str | None:
    """rel prev, next, last, first in GitHub's order; the client's other parameters kept as sent."""
    if page == 1 and last == 1:
        return None
    kept = [(key, value) for key, value in request.query if key != "page"]

    def url(number: int) -> str:
        return f"{request.base_url}{path}?{urlencode([*kept, ('page', str(number))])}"

    rels = []
    if page > 1:
        rels.append(("prev", page - 1))
    if page < last:
        rels += [("next", page + 1), ("last", last)]
    if page > 1:
        rels.append(("first", 1))
    return ", ".join(f'<{url(number)}>; rel="{rel}"' for rel, number in rels)


def _token(authorization: str | None) -> str | None:
    """The token of `Bearer X` or `token X`; "" for any other Authorization, None without one."""
    if authorization is None:
        return None
    scheme, _, credential = authorization.strip().partition(" ")
    if scheme.lower() in ("bearer", "token") and credential.strip():
        return credential.strip()
    return ""


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = {candidate.strip().removeprefix("W/") for candidate in if_none_match.split(",")}
    return "*" in candidates or etag in candidates


def _user_id(token: str) -> int:
    """A stable user id per token, for GitHub's rate-limit message."""
    return int(hashlib.sha256(token.encode()).hexdigest()[:8], 16) % 100_000_000
