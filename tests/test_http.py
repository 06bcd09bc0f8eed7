"""Header arithmetic, URL redaction and the credentials' home of the shared HTTP client (the retry
loop itself runs against the emulators and tests/reliability/hostile.py)."""

from __future__ import annotations

import pytest

from connectors.http import ConnectorError, HttpClient, reset_wait_seconds, retry_after_seconds
from connectors.http_home import Home
from connectors.http_text import redact


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


def test_an_unreadable_or_endless_retry_after_is_none() -> None:
    for value in ("soon", "inf", "nan", "1e999", "Wed, 99 Foo 2015", ""):
        assert retry_after_seconds({"Retry-After": value}) is None, value
    assert retry_after_seconds({"Retry-After": "-5"}) == 0.0


def test_redact_drops_userinfo_query_and_fragment() -> None:
    assert redact("https://me:pw@jira.example:8443/rest/api?jql=x&token=t#frag") == (
        "https://jira.example:8443/rest/api"
    )
    assert redact("http://h/\x1b[31mred\nline") == "http://h/redline"  # urlsplit drops the newline


def test_home_keeps_credentials_under_the_base_path() -> None:
    home, refusal = Home.of("https://ghe.example/api/v3/")
    assert refusal is None and home.prefix == "/api/v3"
    assert home.refusal("https://GHE.example:443/api/v3/repos/a/b?page=2") is None
    assert home.refusal("https://ghe.example/api/v3") is None
    assert home.refusal("https://ghe.example/api/v30/x") == (
        "refused https://ghe.example/api/v30/x: it leaves the base path /api/v3 of https://ghe.example:443"
    )
    assert home.refusal("http://ghe.example/api/v3/x") == (
        "refused to send credentials to http://ghe.example:80: only https://ghe.example:443 is this "
        "source's tracker"
    )
    assert home.refusal("https://ghe.example.evil/api/v3/x").startswith(
        "refused to send credentials to https://ghe.example.evil:443"
    )
    assert Home.of("https://api.github.com")[0].refusal("https://api.github.com/repositories/1") is None
    assert Home.of("ftp://h/x")[1] == "base_url ftp://h/x is not an http(s) URL with a host"


def test_numbers_no_request_could_use_fail_the_first_call_not_the_constructor() -> None:
    refused = {
        "timeout_seconds must be a positive number, not -5.0": {"timeout_seconds": -5.0},
        "max_response_mb must be a positive number, not nan": {"max_response_mb": float("nan")},
        "max_wait_seconds must be zero or more, not -1.0": {"max_wait_seconds": -1.0},
    }
    for message, settings in refused.items():
        http = HttpClient.for_source({"base_url": "http://127.0.0.1:9", **settings}, headers={})
        with pytest.raises(ConnectorError) as failed:
            http.get_json("/x")
        assert str(failed.value) == message and http.requests == 0
