"""One HTTP client for every connector: session, auth, timeouts, bounded retries, rate limits.

Transport faults (connection resets, read timeouts, 5xx, 429) are retried by urllib3's `Retry`,
which also honours `Retry-After`. Trackers add two signals urllib3 does not know:
`X-RateLimit-Reset` (GitHub: epoch seconds; Jira: an ISO time) and GitHub's 403 "rate limit"
answers, which carry no Retry-After. Both are handled here, with a bounded number of waits.
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

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


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


@dataclass
class HttpClient:
    """A requests session bound to one tracker's base URL and credentials.

    `requests` counts every HTTP exchange this client made, including retries and 304s, so a
    run can report what it cost against the tracker's budget.
    """

    base_url: str
    headers: dict[str, str] = field(default_factory=dict)
    auth: tuple[str, str] | None = None
    timeout: tuple[float, float] = (10.0, 60.0)
    max_retries: int = 5
    backoff_factor: float = 0.5
    max_wait_seconds: float = 900.0
    requests: int = 0
    session: requests.Session = field(init=False, repr=False)
    _count_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        retry = TrackerRetry(
            total=self.max_retries,
            connect=self.max_retries,
            read=self.max_retries,
            status=self.max_retries,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=frozenset({"GET", "POST"}),  # search POSTs are reads
            backoff_factor=self.backoff_factor,
            backoff_jitter=self.backoff_factor,
            backoff_max=60.0,
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
        """A client with the timeouts and retry limits a source's config sets."""
        return cls(
            base_url=settings["base_url"],
            headers=headers,
            auth=auth,
            timeout=(10.0, float(settings.get("timeout_seconds", 60.0))),
            max_retries=int(settings.get("max_retries", 5)),
            max_wait_seconds=float(settings.get("max_wait_seconds", 900.0)),
        )

    def _count(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        # urllib3 retries happen below requests: count them from the retry history.
        retries = getattr(response.raw, "retries", None)
        with self._count_lock:  # one client serves every scope's thread
            self.requests += 1 + (len(retries.history) if retries is not None else 0)

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
        """Send one request; wait out rate limits; raise ConnectorError unless status is in `ok`."""
        url = self.url(path_or_url)
        for attempt in range(self.max_retries + 1):
            try:
                response = self.session.request(
                    method, url, params=params, json=json, headers=headers, timeout=self.timeout
                )
            except requests.RequestException as exc:
                raise ConnectorError(f"{method} {_redact(url)} failed: {type(exc).__name__}: {exc}") from exc
            if response.status_code in ok:
                return response
            wait = self._rate_limit_wait(response, attempt)
            if wait is None or attempt == self.max_retries:
                break
            if wait > self.max_wait_seconds:
                raise ConnectorError(
                    f"{method} {_redact(url)}: rate limited for {wait:.0f}s, more than "
                    f"max_wait_seconds={self.max_wait_seconds:.0f}"
                )
            log.warning("rate limited by %s, waiting %.1fs", _redact(url), wait)
            time.sleep(wait)
        raise ConnectorError(
            f"{method} {_redact(url)} answered {response.status_code}: {_error_text(response)}"
        )

    def _rate_limit_wait(self, response: requests.Response, attempt: int) -> float | None:
        """Seconds to wait before retrying a 403/429 that is a rate limit; None if it is not one.

        GitHub: primary limit = Remaining 0 → until Reset; secondary limit = Retry-After, else at
        least a minute, growing exponentially. A 403 without these signals is a real refusal.
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
            return 60.0 * (2**attempt) + random.uniform(0, 1)
        return None


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
