"""One HTTP client for every connector: session, auth, timeouts, bounded retries, rate limits.

Two layers of retries, one budget each, both bounded by `max_retries`:
- urllib3's `Retry` repeats answers with a retryable status (429, 5xx), honouring `Retry-After`
  and, through `TrackerRetry`, `X-RateLimit-Reset` when the budget is spent;
- `HttpClient.request` repeats what urllib3 cannot see: transport failures (connection refused or
  reset, a read slower than the timeout, a body cut short) and 200 answers whose JSON does not
  parse (a truncating proxy), with exponential backoff and full jitter; and it waits out the
  signals urllib3 does not know: GitHub's 403 rate-limit answers, which carry no Retry-After.
Only when the attempts are spent does a request raise `ConnectorError`, with a one-line message.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Raised while reading a body whose status line and headers had arrived.
BODY_ERRORS = (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)
BACKOFF_MAX = 60.0


class ConnectorError(RuntimeError):
    """A request failed for good (after retries) or the tracker answered something unusable."""


def reset_wait_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds until the rate-limit window resets, from `X-RateLimit-Reset`, or None.

    GitHub sends epoch seconds; Jira sends an ISO 8601 time (`2026-11-22T10:30Z`).
    """
    value = headers.get("X-RateLimit-Reset") or headers.get("x-ratelimit-reset")
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


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """`Retry-After` as seconds (it may be a number or an HTTP date), or None."""
    value = headers.get("Retry-After") or headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        return max(0.0, parsed.timestamp() - time.time())


class TrackerRetry(Retry):
    """urllib3 Retry that also waits for `X-RateLimit-Reset` when the budget is spent."""

    def get_retry_after(self, response: Any) -> float | None:  # noqa: D401 - urllib3 API
        after = super().get_retry_after(response)
        if after is None and response.headers.get("X-RateLimit-Remaining") == "0":
            after = reset_wait_seconds(response.headers)
        return after


class _Retryable(Exception):
    """One attempt failed in a way another attempt may not (internal to HttpClient.request)."""

    def __init__(self, problem: str, wait: float) -> None:
        super().__init__(problem)
        self.problem, self.wait = problem, wait


@dataclass
class HttpClient:
    """A requests session bound to one tracker's base URL and credentials.

    `requests` counts every HTTP exchange this client made, including retries and 304s, so a
    run can report what it cost against the tracker's budget. Headers and auth stay out of the
    repr: they hold the token.
    """

    base_url: str
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    auth: tuple[str, str] | None = field(default=None, repr=False)
    timeout: tuple[float, float] = (10.0, 60.0)
    max_retries: int = 5
    backoff_factor: float = 0.5
    max_wait_seconds: float = 900.0
    # GitHub's secondary limit without Retry-After: wait at least this long, doubling per attempt.
    secondary_wait_seconds: float = 60.0
    requests: int = 0
    session: requests.Session = field(init=False, repr=False)
    _count_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        retry = TrackerRetry(
            total=self.max_retries,
            # Transport errors go straight up to `request`, which also retries what urllib3 never
            # sees (a body cut short, JSON that does not parse): one backoff, one budget for them.
            connect=False,
            read=False,
            other=False,
            status=self.max_retries,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=frozenset({"GET", "POST"}),  # search POSTs are reads
            backoff_factor=self.backoff_factor,
            backoff_jitter=self.backoff_factor,
            backoff_max=BACKOFF_MAX,
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        self.session = requests.Session()
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=16)
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
        """A client with the timeouts, retry limits and waits a source's config sets."""
        return cls(
            base_url=settings["base_url"],
            headers=headers,
            auth=auth,
            timeout=(10.0, float(settings.get("timeout_seconds", 60.0))),
            max_retries=int(settings.get("max_retries", 5)),
            max_wait_seconds=float(settings.get("max_wait_seconds", 900.0)),
            secondary_wait_seconds=float(settings.get("secondary_wait_seconds", 60.0)),
        )

    def _count(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        # urllib3 retries happen below requests: count them from the retry history.
        retries = getattr(response.raw, "retries", None)
        self._add_requests(1 + (len(retries.history) if retries is not None else 0))

    def _add_requests(self, count: int) -> None:
        with self._count_lock:  # one client serves every scope's thread
            self.requests += count

    def url(self, path_or_url: str) -> str:
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
        url = self.url(path_or_url)
        where = f"{method} {_redact(url)}"
        problem = ""
        for attempt in range(self.max_retries + 1):
            try:
                return self._attempt(method, url, params, json, headers, ok, parse, attempt)
            except _Retryable as failed:
                problem = failed.problem
                if attempt == self.max_retries:
                    break
                if failed.wait > self.max_wait_seconds:
                    raise ConnectorError(
                        f"{where}: {problem}; the wait of {failed.wait:.0f}s is more than "
                        f"max_wait_seconds={self.max_wait_seconds:.0f}"
                    ) from None
                log.warning("%s: %s; retrying in %.1fs", where, problem, failed.wait)
                time.sleep(failed.wait)
        raise ConnectorError(f"{where}: {problem} (gave up after {self.max_retries + 1} attempts)")

    def _attempt(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        json: Any,
        headers: Mapping[str, str] | None,
        ok: frozenset[int],
        parse: bool,
        attempt: int,
    ) -> tuple[requests.Response, Any]:
        """One exchange: the response (and parsed body), or _Retryable, or ConnectorError for good."""
        try:
            response = self.session.request(
                method, url, params=params, json=json, headers=headers, timeout=self.timeout
            )
        except requests.RequestException as exc:
            if not isinstance(exc, BODY_ERRORS):  # a cut body's headers were counted by the hook
                self._add_requests(1)  # it left, or tried to: it counts against the budget like any other
            raise _Retryable(_transport_problem(exc), self._backoff(attempt)) from None
        if response.status_code in ok:
            if not parse or response.status_code != 200:
                return response, None
            try:
                return response, orjson.loads(response.content)
            except orjson.JSONDecodeError:
                raise _Retryable(
                    f"a {len(response.content)}-byte body that is not valid JSON", self._backoff(attempt)
                ) from None
        wait = self._rate_limit_wait(response, attempt)
        if wait is None:
            retries = getattr(response.raw, "retries", None)
            tries = 1 + (len(retries.history) if retries is not None else 0)
            raise ConnectorError(
                f"{method} {_redact(url)} answered {response.status_code}: {_error_text(response)}"
                + (f" (after {tries} attempts)" if tries > 1 else "")
            )
        raise _Retryable(f"rate limited ({response.status_code})", wait)

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter: clients that failed together do not retry together."""
        return random.uniform(0, min(BACKOFF_MAX, self.backoff_factor * 2**attempt))

    def _rate_limit_wait(self, response: requests.Response, attempt: int) -> float | None:
        """Seconds to wait before retrying a 403/429 that is a rate limit; None if it is not one.

        GitHub: primary limit = Remaining 0 → until Reset; secondary limit = Retry-After, else at
        least `secondary_wait_seconds`, growing exponentially. A 403 without these signals is a
        real refusal.
        """
        if response.status_code not in (403, 429):
            return None
        headers = response.headers
        after = retry_after_seconds(headers)
        if after is not None:
            return after
        if headers.get("X-RateLimit-Remaining") == "0":
            return (reset_wait_seconds(headers) or 0.0) + 1.0
        if response.status_code == 429 or "secondary rate limit" in response.text.lower():
            return self.secondary_wait_seconds * (2**attempt) * random.uniform(1.0, 1.25)
        return None


def _transport_problem(exc: requests.RequestException) -> str:
    """What went wrong on the wire, in a few words (the exception's text repeats the whole URL)."""
    if isinstance(exc, requests.Timeout):
        return f"no answer within the timeout ({type(exc).__name__})"
    if isinstance(exc, BODY_ERRORS):
        return f"the body was cut short ({type(exc).__name__})"
    return f"the connection failed ({type(exc).__name__})"


def _redact(url: str) -> str:
    """Drop query strings from URLs in messages: they may carry JQL or tokens in odd setups."""
    return url.split("?", 1)[0]


def _error_text(response: requests.Response) -> str:
    """The tracker's error message (GitHub `message`, Jira `errorMessages`), kept short."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        if body.get("message"):
            return str(body["message"])[:200]
        if body.get("errorMessages") or body.get("errors"):
            return "; ".join([*body.get("errorMessages", []), *map(str, body.get("errors", {}).values())])[
                :200
            ]
    return str(body)[:200]
