"""One HTTP client for every connector: session, auth, deadlines, bounded retries, rate limits.

`HttpClient.request`/`get_json` are the only way a connector reaches its tracker. Each call:
- goes only under the base_url (`connectors.http_home`): a URL from an answer (`Link`, a redirect)
  that leaves it fails the source, so the token never travels elsewhere;
- is one or more attempts, each with a total deadline of `timeout_seconds` from sending the
  request to the body's last byte, its redirects (at most `MAX_REDIRECTS`) included: a server
  dripping a byte at a time is cut off; and each body is at most `max_response_mb`;
- retries, up to `max_retries` times, what another attempt may fix: a transport failure
  (connection refused or reset, the deadline passed, a body cut short), a 200 whose JSON does not
  parse (a truncating proxy), a 5xx; and, with a budget of `max_retries` of their own, rate
  limits (429, GitHub's 403s), so a throttled night does not spend the budget for a flaky network.
  It waits `Retry-After`, `X-RateLimit-Reset` (GitLab: `RateLimit-Reset`), the secondary-limit
  floor or full-jitter backoff; a wait longer than `max_wait_seconds` fails now, saying how long
  the tracker asked for;
- stops for good once the source's `deadline_minutes`, counted from the client's creation, passed.
A call that fails for good (those, or an answer retrying cannot change) raises `ConnectorError`,
with a one-line message that holds no credential and no control character the server sent.
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import requests

from connectors.http_home import Home
from connectors.http_text import loads, printable, redact
from connectors.http_watch import Watch, WatchedAdapter

__all__ = ["ConnectorError", "HttpClient", "printable", "reset_wait_seconds", "retry_after_seconds"]

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
BACKOFF_MAX = 60.0
CHUNK = 64 * 1024


class ConnectorError(RuntimeError):
    """A request failed for good (after retries) or the tracker answered something unusable."""


def reset_wait_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds until the rate-limit window resets, from `X-RateLimit-Reset` (or GitLab's
    unprefixed `RateLimit-Reset`), or None.

    GitHub and GitLab send epoch seconds; Jira sends an ISO 8601 time (`2026-11-22T10:30Z`).
    """
    value = _rate_header(headers, "Reset")
    if not value:
        return None
    now = time.time() if now is None else now
    value = value.strip()
    if value.isdigit():
        return max(0.0, int(value) - now)
    try:
        reset = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if reset.tzinfo is None:
        reset = reset.replace(tzinfo=UTC)
    return max(0.0, reset.timestamp() - now)


def _rate_header(headers: Mapping[str, str], name: str) -> str | None:
    """A rate-limit header, `X-RateLimit-<name>` (GitHub, Jira) or `RateLimit-<name>` (GitLab, the
    IETF draft), in any case (a plain mapping in tests is case-sensitive)."""
    for key in (f"X-RateLimit-{name}", f"RateLimit-{name}"):
        value = headers.get(key) or headers.get(key.lower())
        if value:
            return value
    return None


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """`Retry-After` as seconds (a number or an HTTP date); None when absent or unreadable ("soon")."""
    value = (headers.get("Retry-After") or headers.get("retry-after") or "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, OverflowError):
            return None
    return max(0.0, seconds) if math.isfinite(seconds) else None


class _Retryable(Exception):
    """One attempt failed in a way another attempt may not (internal to HttpClient)."""

    def __init__(self, problem: str, wait: float, limited: bool = False) -> None:
        super().__init__(problem)
        self.problem, self.wait, self.limited = problem, wait, limited


@dataclass(frozen=True)
class _Call:
    """What one `request`/`get_json` call sends (the URL changes when a redirect is followed)."""

    method: str
    url: str
    params: Mapping[str, Any] | None
    json: Any
    headers: Mapping[str, str] | None

    @property
    def where(self) -> str:
        return f"{self.method} {redact(self.url)}"


@dataclass
class HttpClient:
    """A requests session bound to one tracker's base URL and credentials.

    `requests` counts every HTTP exchange this client made, including retries, redirects and
    304s, so a run can report what it cost against the tracker's budget. Headers and auth stay
    out of the repr: they hold the token. A client lives for one run of one source.
    """

    base_url: str
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    auth: tuple[str, str] | None = field(default=None, repr=False)
    timeout: tuple[float, float] = (10.0, 60.0)  # connect, and the total of one exchange
    max_retries: int = 5
    backoff_factor: float = 0.5
    max_wait_seconds: float = 900.0
    # GitHub's secondary limit without Retry-After: wait at least this long, doubling per attempt.
    secondary_wait_seconds: float = 60.0
    max_response_mb: float = 100.0
    deadline_minutes: float = 180.0
    requests: int = 0
    session: requests.Session = field(init=False, repr=False)
    home: Home = field(init=False, repr=False)
    # Why no request may be sent at all (a bad base_url or credential); raised by every call, so
    # the failure belongs to the source's sync rather than to whoever built the client.
    refusal: str | None = field(default=None, init=False, repr=False)
    _ends_at: float = field(default=0.0, init=False, repr=False)
    _count_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self.home, self.refusal = Home.of(self.base_url)
        self.base_url = self.base_url.rstrip("/")
        self.refusal = self.refusal or _unsendable(self.headers, self.auth) or self._unusable_numbers()
        self._ends_at = time.monotonic() + (0 if self.refusal else self.deadline_minutes * 60)
        self.session = requests.Session()
        # Every retry is ours (below): urllib3's own would sleep out any Retry-After and read
        # refusals' bodies with no deadline or size cap.
        adapter = WatchedAdapter(max_retries=0, pool_maxsize=16)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update(self.headers)
        if self.auth:
            self.session.auth = self.auth
        self.session.hooks["response"].append(self._count)

    @classmethod
    def for_source(
        cls, settings: Mapping[str, Any], headers: dict[str, str], auth: tuple[str, str] | None = None
    ) -> HttpClient:
        """A client with the timeouts, retry limits, waits, size cap and deadline a source's config sets."""

        def number(key: str, default: float) -> float:
            value = settings.get(key)
            return default if value is None else float(value)

        return cls(
            base_url=settings["base_url"],
            headers=headers,
            auth=auth,
            timeout=(10.0, number("timeout_seconds", 60.0)),
            max_retries=int(number("max_retries", 5)),
            max_wait_seconds=number("max_wait_seconds", 900.0),
            secondary_wait_seconds=number("secondary_wait_seconds", 60.0),
            max_response_mb=number("max_response_mb", 100.0),
            deadline_minutes=number("deadline_minutes", 180.0),
        )

    def _unusable_numbers(self) -> str | None:
        positive = {
            "timeout_seconds": self.timeout[1],
            "max_response_mb": self.max_response_mb,
            "deadline_minutes": self.deadline_minutes,
        }
        at_least_zero = {"max_wait_seconds": self.max_wait_seconds, "max_retries": self.max_retries}
        for name, value in positive.items():
            if not (math.isfinite(value) and value > 0):
                return f"{name} must be a positive number, not {value}"
        for name, value in at_least_zero.items():
            if not (math.isfinite(value) and value >= 0):
                return f"{name} must be zero or more, not {value}"
        return None

    def _count(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._add_requests(1)

    def _add_requests(self, count: int) -> None:
        with self._count_lock:  # one client serves every scope's thread
            self.requests += count

    def url(self, path_or_url: str) -> str:
        """The absolute URL of an API path, or an absolute URL as given."""
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return f"{self.base_url}/{path_or_url.lstrip('/')}"

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        ok: frozenset[int] = frozenset({200}),
    ) -> requests.Response:
        """Send one request; retry and wait out rate limits; raise ConnectorError unless status is in `ok`."""
        return self._exchange(method, path_or_url, params, json, headers, ok, parse=False)[0]

    def get_json(
        self,
        path_or_url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        ok: frozenset[int] = frozenset({200}),
    ) -> tuple[requests.Response, Any]:
        """GET and parse the body; a 200 whose JSON does not parse is retried like a reset.

        Returns the response and its parsed body (None for the other statuses in `ok`, e.g. 304).
        """
        return self._exchange("GET", path_or_url, params, None, headers, ok, parse=True)

    def _exchange(
        self,
        method: str,
        path_or_url: str,
        params: Mapping[str, Any] | None,
        json: Any,
        headers: Mapping[str, str] | None,
        ok: frozenset[int],
        parse: bool,
    ) -> tuple[requests.Response, Any]:
        if self.refusal:
            raise ConnectorError(self.refusal)
        call = _Call(method, self.url(path_or_url), params, json, headers)
        self._check_home(call.url)
        where = call.where
        retries = {False: 0, True: 0}  # failures, rate limits: a budget of max_retries each
        while True:
            self._check_deadline(where)
            try:
                return self._attempt(call, ok, parse, retries)
            except _Retryable as failed:
                if retries[failed.limited] == self.max_retries:
                    attempts = sum(retries.values()) + 1
                    raise ConnectorError(
                        f"{where}: {failed.problem} (gave up after {attempts} attempts)"
                    ) from None
                retries[failed.limited] += 1
                self._wait(where, failed)

    def _check_home(self, url: str) -> None:
        refused = self.home.refusal(url)
        if refused:
            raise ConnectorError(refused)

    def _check_deadline(self, where: str) -> None:
        if time.monotonic() >= self._ends_at:
            raise ConnectorError(f"{where}: source deadline of {self.deadline_minutes:g} minutes passed")

    def _wait(self, where: str, failed: _Retryable) -> None:
        if failed.wait > self.max_wait_seconds:
            raise ConnectorError(
                f"{where}: {failed.problem}; asked to wait {failed.wait:.0f}s, more than "
                f"max_wait_seconds={self.max_wait_seconds:g}"
            )
        if time.monotonic() + failed.wait >= self._ends_at:
            raise ConnectorError(
                f"{where}: {failed.problem}; a wait of {failed.wait:.0f}s would pass the source "
                f"deadline of {self.deadline_minutes:g} minutes"
            )
        log.warning("%s: %s; retrying in %.1fs", where, failed.problem, failed.wait)
        time.sleep(failed.wait)

    def _attempt(
        self, call: _Call, ok: frozenset[int], parse: bool, retries: Mapping[bool, int]
    ) -> tuple[requests.Response, Any]:
        """One attempt: the response (and parsed body), or _Retryable, or ConnectorError for good."""
        started = time.monotonic()
        deadline = min(started + self.timeout[1], self._ends_at)
        try:
            response = self._follow(call, deadline)
        except _Retryable as failed:
            self._check_deadline(call.where)  # the source's deadline cut it, not ours
            raise _Retryable(failed.problem, self._backoff(retries[False])) from None
        if response.status_code in ok:
            if not parse or response.status_code != 200:
                return response, None
            try:
                return response, loads(response.content)
            except ValueError:
                raise _Retryable(
                    f"a {len(response.content)}-byte body that is not valid JSON",
                    self._backoff(retries[False]),
                ) from None
        answered = f"answered {response.status_code}: {_error_text(response)}"
        limited = response.status_code in (403, 429)
        wait = self._retry_wait(response, retries[limited])
        if wait is None:
            raise ConnectorError(f"{call.method} {redact(response.url)} {answered}")
        raise _Retryable(f"rate limited ({response.status_code})" if limited else answered, wait, limited)

    def _follow(self, call: _Call, deadline: float) -> requests.Response:
        """Send, following a GET's redirects while they stay home, all within one deadline."""
        history: list[requests.Response] = []
        for _ in range(MAX_REDIRECTS + 1):
            response = self._send(call, deadline)
            location = response.headers.get("Location")
            if call.method != "GET" or response.status_code not in REDIRECT_STATUSES or not location:
                response.history = history
                return response
            history.append(response)
            call = replace(call, url=urljoin(response.url, location), params=None)
            self._check_home(call.url)
        raise ConnectorError(f"{call.method} {redact(history[0].url)}: more than {MAX_REDIRECTS} redirects")

    def _send(self, call: _Call, deadline: float) -> requests.Response:
        """One HTTP exchange, body read whole; _Retryable (its wait set by the caller) when the wire
        failed or the deadline passed. A `Watch` cuts the exchange at the deadline, whatever part
        of the answer the server is dripping."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise _Retryable(self._too_slow(), 0)
        with Watch(left) as watch:
            try:
                response = self.session.request(
                    call.method,
                    call.url,
                    params=call.params,
                    json=call.json,
                    headers=call.headers,
                    timeout=(min(self.timeout[0], left), left),
                    stream=True,
                    allow_redirects=False,
                )
            except requests.RequestException as exc:
                self._add_requests(1)  # it left: it counts against the budget like any other
                slow = watch.fired or isinstance(exc, requests.Timeout)
                raise _Retryable(self._too_slow() if slow else _transport_problem(exc), 0) from None
            self._read_body(response, watch)
        return response

    def _read_body(self, response: requests.Response, watch: Watch) -> None:
        """Read the body into `response` in chunks, within the size cap (and the watch's deadline)."""
        limit = int(self.max_response_mb * 1024 * 1024)
        length = response.headers.get("Content-Length", "")
        chunks: list[bytes] = []
        size = 0
        try:
            if length.isdigit() and int(length) > limit:
                raise self._too_big(response, int(length))
            for chunk in response.iter_content(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise self._too_big(response, size)
                chunks.append(chunk)
        except requests.RequestException as exc:
            raise _Retryable(self._too_slow() if watch.fired else _transport_problem(exc), 0) from None
        finally:
            response.close()
        if watch.fired:  # a body that ends with the connection ends "fine" when cut
            raise _Retryable(self._too_slow(), 0)
        response._content = b"".join(chunks)  # what `response.content` and `.json()` then read

    def _too_slow(self) -> str:
        return f"no complete answer within timeout_seconds={self.timeout[1]:g}"

    def _too_big(self, response: requests.Response, size: int) -> ConnectorError:
        return ConnectorError(
            f"{response.request.method} {redact(response.url)}: the answer is over "
            f"max_response_mb={self.max_response_mb:g} ({size / 1024 / 1024:.0f} MB read or announced)"
        )

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter: clients that failed together do not retry together."""
        return random.uniform(0, min(BACKOFF_MAX, self.backoff_factor * 2**attempt))

    def _retry_wait(self, response: requests.Response, attempt: int) -> float | None:
        """Seconds to wait before retrying a refusal; None when retrying cannot help.

        5xx: `Retry-After`, else backoff. 403/429 that are rate limits: `Retry-After`; primary
        limit (Remaining 0) → until Reset; GitHub's secondary limit (its message) → at least
        `secondary_wait_seconds`, doubling per attempt; a bare 429 → backoff. A 403 without these
        signals is a real refusal.
        """
        status, headers = response.status_code, response.headers
        if status not in RETRY_STATUSES and status != 403:
            return None
        after = retry_after_seconds(headers)
        if after is not None:
            return after
        if status in (403, 429) and _rate_header(headers, "Remaining") == "0":
            return (reset_wait_seconds(headers) or 0.0) + 1.0
        if status in (403, 429) and "secondary rate limit" in response.text.lower():
            return self.secondary_wait_seconds * (2**attempt) * random.uniform(1.0, 1.25)
        return None if status == 403 else self._backoff(attempt)


def _unsendable(headers: Mapping[str, str], auth: tuple[str, str] | None) -> str | None:
    """Why the credentials cannot go on the wire (HTTP headers are ASCII), never quoting them."""
    named = {f"the {name} header": value for name, value in headers.items()}
    if auth:
        named |= {"the user name (email)": auth[0], "the token": auth[1]}
    for what, value in named.items():
        if not value.isascii() or not value.isprintable():
            return (
                f"{what} has a character that cannot be sent (not printable ASCII): check the "
                "environment variable for a stray or pasted character"
            )
    return None


def _transport_problem(exc: requests.RequestException) -> str:
    """What went wrong on the wire, in a few words (the exception's text repeats the whole URL)."""
    if isinstance(exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError):
        return f"the body was cut short ({type(exc).__name__})"
    return f"the connection failed ({type(exc).__name__})"


def _error_text(response: requests.Response) -> str:
    """The tracker's error message (GitHub `message`, Jira `errorMessages`), short and printable."""
    try:
        body = loads(response.content)
    except ValueError:
        return printable(response.text[:200])
    if isinstance(body, dict):
        if body.get("message"):
            return printable(str(body["message"])[:200])
        messages = body.get("errorMessages")
        errors = body.get("errors")
        parts = [*(messages if isinstance(messages, list) else [])]
        parts += list(errors.values()) if isinstance(errors, dict) else []
        if parts:
            return printable("; ".join(map(str, parts))[:200])
    return printable(str(body)[:200])
