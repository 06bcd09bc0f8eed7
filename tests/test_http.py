"""Rate-limit header arithmetic of the shared HTTP client (the retry loop itself runs against the emulators)."""

from __future__ import annotations

from connectors.http import reset_wait_seconds, retry_after_seconds


def test_github_reset_is_epoch_seconds() -> None:
    assert reset_wait_seconds({"X-RateLimit-Reset": "1000"}, now=990.0) == 10.0
    assert reset_wait_seconds({"X-RateLimit-Reset": "900"}, now=990.0) == 0.0  # already reset


def test_jira_reset_is_iso_time() -> None:
    now = 1_790_000_000.0  # 2026-09-21T14:13:20Z
    assert reset_wait_seconds({"X-RateLimit-Reset": "2026-09-21T14:14Z"}, now=now) == 40.0
    assert reset_wait_seconds({"X-RateLimit-Reset": "garbage"}, now=now) is None
    assert reset_wait_seconds({}, now=now) is None


def test_retry_after_seconds_or_http_date() -> None:
    assert retry_after_seconds({"Retry-After": "7"}) == 7.0
    assert retry_after_seconds({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0  # in the past
    assert retry_after_seconds({}) is None
