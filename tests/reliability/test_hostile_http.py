"""The HTTP client against a hostile tracker (tests/reliability/hostile.py): credentials stay under
the base_url, every call ends within its deadline, bodies stay within their cap, waits within
max_wait_seconds, paging loops stop, and what the server says reaches a message only printable.

Each case counts in the tally (`make reliability` prints it): hostile answers tried, calls that did
not end, credentials that reached another origin.
"""

from __future__ import annotations

import itertools
import json
import resource
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from connectors import CONNECTORS
from connectors.base import fetch_link_pages
from connectors.http import ConnectorError, HttpClient, printable
from connectors.jira.paging import RepeatedToken, offset_pages, token_pages
from tests.reliability import tally
from tests.reliability.conftest import LONG
from tests.reliability.hostile import Answer, Hostile, Outcome, finish_within, quick_client

TOKEN = "s3cret-token-value"
PAGE = json.dumps([{"id": 1, "title": "one"}]).encode()


def client(base_url: str, **settings: Any) -> HttpClient:
    return quick_client(base_url, TOKEN, **{"timeout": (2.0, 3.0), "max_retries": 1, **settings})


def tried(outcome: Outcome, *servers: Hostile, home: Hostile | None = None) -> Outcome:
    """Tally one hostile case: it ended (finish_within saw to that); tokens that left home."""
    tally.add(hostile_answers_tried=1, tokens_off_origin=sum(s.credentials(TOKEN) for s in servers))
    assert outcome.error is None or isinstance(outcome.error, ConnectorError), repr(outcome.error)
    if outcome.error is not None:
        message = str(outcome.error)
        assert TOKEN not in message and "\n" not in message and "\x1b" not in message
    return outcome


def walk(http: HttpClient, path: str = "/list") -> Callable[[], list[Any]]:
    return lambda: [page.records for page in fetch_link_pages(http, path, {"per_page": 1})]


# --- credentials stay home -------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(CONNECTORS))
def test_a_next_link_to_another_origin_fails_the_walk_and_the_token_stays_home(kind: str) -> None:
    with Hostile({}) as foreign:
        link = {"Link": f'<{foreign.url}/api/list?page=2>; rel="next"'}
        with Hostile({"/api/list": Answer(PAGE, headers=link)}) as home:
            connector = CONNECTORS[kind]
            http = connector.client_for({"base_url": f"{home.url}/api"}, token=TOKEN)
            outcome = tried(finish_within(10, walk(http)), foreign)
    assert foreign.received == [] and home.credentials(TOKEN) == 1  # a bearer, a token header or basic auth
    assert str(outcome.error) == (
        f"refused to send credentials to {foreign.url}: only {home.url} is this source's tracker"
    )


@pytest.mark.parametrize("status", [301, 302, 307])
def test_a_redirect_to_another_origin_or_out_of_the_base_path_is_refused(status: int) -> None:
    with (
        Hostile({"/elsewhere/list": Answer(PAGE)}) as foreign,
        Hostile(
            {
                "/api/away": Answer(b"", status, {"Location": f"{foreign.url}/elsewhere/list"}),
                "/api/up": Answer(b"", status, {"Location": "/other/list?token=x"}),
                "/other/list": Answer(PAGE),
            }
        ) as home,
    ):
        http = client(f"{home.url}/api")
        away = tried(finish_within(10, lambda: http.get_json("/away")), foreign)
        up = tried(finish_within(10, lambda: http.get_json("/up")))
    assert str(away.error).startswith(f"refused to send credentials to {foreign.url}")
    assert str(up.error) == f"refused {home.url}/other/list: it leaves the base path /api of {home.url}"
    assert foreign.received == [] and [r.path for r in home.received] == ["/api/away", "/api/up"]


def test_a_redirect_within_the_base_path_is_followed_with_the_token() -> None:
    with Hostile({"/api/old": Answer(b"", 301, {"Location": "/api/new"}), "/api/new": Answer(PAGE)}) as home:
        http = client(f"{home.url}/api")
        response, body = http.get_json("/old")
    assert body == [{"id": 1, "title": "one"}] and [r.status_code for r in response.history] == [301]
    assert home.credentials(TOKEN) == 2 and http.requests == 2


def test_a_path_that_climbs_out_of_the_base_path_is_refused_before_sending() -> None:
    with Hostile({}) as home:
        http = client(f"{home.url}/api")
        for path in ("/repos/../../x", "/repos/%2e%2e/%2e%2e/x"):
            with pytest.raises(ConnectorError, match="leaves the base path /api"):
                http.get_json(path)
    assert home.received == []


def test_a_base_url_with_a_password_is_refused_without_printing_it() -> None:
    with Hostile({"/api/list": Answer(PAGE)}) as home:
        http = client(home.url.replace("://", "://me:hunter2@") + "/api?x=1")
        outcome = tried(finish_within(10, lambda: http.get_json("/list")))
    assert (
        str(outcome.error) == (f"base_url {home.url}/api holds a user name or password: use token_env")
        and home.received == []
    )


@pytest.mark.parametrize("token", ["tok\u2011en", "tøken", "tok\nen"])
def test_a_token_with_a_character_http_cannot_carry_fails_in_one_line(token: str) -> None:
    with Hostile({"/api/list": Answer(PAGE)}) as home:
        for connector in CONNECTORS.values():
            http = connector.client_for({"base_url": f"{home.url}/api"}, token=token)
            outcome = tried(finish_within(10, lambda http=http: http.get_json("/list")))
            assert token not in str(outcome.error)
            assert "cannot be sent (not printable ASCII)" in str(outcome.error)
    assert home.received == []


# --- every call ends --------------------------------------------------------------------------


def test_a_dripping_body_is_cut_at_the_total_timeout() -> None:
    with Hostile({"/api/list": Answer(PAGE, drip=0.5)}) as home:
        http = client(f"{home.url}/api", timeout=(2.0, 1.5), max_retries=0)
        outcome = tried(finish_within(6, lambda: http.get_json("/list")))
    # Each byte comes well within any per-read timeout; the body as a whole would take 14 s.
    assert 1.5 <= outcome.seconds < 2.5
    assert str(outcome.error) == (
        f"GET {home.url}/api/list: no complete answer within timeout_seconds=1.5 (gave up after 1 attempts)"
    )


def test_a_dripping_status_line_and_headers_are_cut_at_the_total_timeout() -> None:
    with Hostile({"/api/list": Answer(PAGE, drip=0.3, drip_head=True)}) as home:
        http = client(f"{home.url}/api", timeout=(2.0, 1.5), max_retries=0)
        outcome = tried(finish_within(6, lambda: http.get_json("/list")))
    # The answer's head alone is 40 bytes: 12 s, each byte well within any per-read timeout.
    assert 1.5 <= outcome.seconds < 2.5 and "no complete answer within timeout_seconds=1.5" in str(
        outcome.error
    )


@LONG
def test_a_byte_every_three_seconds_fails_within_the_five_second_timeout() -> None:
    with Hostile({"/api/list": Answer(PAGE, drip=3.0)}) as home:
        http = client(f"{home.url}/api", timeout=(2.0, 5.0), max_retries=0)
        outcome = tried(finish_within(15, lambda: http.get_json("/list")))
    assert 5.0 <= outcome.seconds < 6.0 and "timeout_seconds=5" in str(outcome.error)


def test_the_source_deadline_ends_every_request_after_it() -> None:
    with Hostile({"/api/list": Answer(PAGE), "/api/drip": Answer(PAGE, drip=0.5)}) as home:
        http = client(f"{home.url}/api", timeout=(2.0, 30.0), deadline_minutes=0.02)  # 1.2 s
        assert http.get_json("/list")[1] == [{"id": 1, "title": "one"}]
        cut = tried(finish_within(6, lambda: http.get_json("/drip")))
        after = tried(finish_within(6, lambda: http.get_json("/list")))
    assert 1.0 <= cut.seconds < 2.0  # the 30 s timeout never got its turn
    assert str(cut.error) == f"GET {home.url}/api/drip: source deadline of 0.02 minutes passed"
    assert str(after.error) == f"GET {home.url}/api/list: source deadline of 0.02 minutes passed"
    assert [r.path for r in home.received] == ["/api/list", "/api/drip"]


@pytest.mark.parametrize("status", [429, 503])
def test_a_retry_after_longer_than_max_wait_fails_at_once_saying_how_long(status: int) -> None:
    with Hostile({"/api/list": Answer(b"{}", status, {"Retry-After": "999999"})}) as home:
        http = client(f"{home.url}/api", max_retries=5, max_wait_seconds=900)
        outcome = tried(finish_within(10, lambda: http.get_json("/list")))
    assert outcome.seconds < 2.0 and http.requests == 1
    assert str(outcome.error).endswith("asked to wait 999999s, more than max_wait_seconds=900")


def test_an_unreadable_retry_after_is_no_retry_after() -> None:
    soon = {"Retry-After": "soon"}
    body = b'{"message": "Forbidden"}'
    with Hostile({"/api/403": Answer(body, 403, soon), "/api/429": Answer(b"{}", 429, soon)}) as home:
        http = client(f"{home.url}/api", max_retries=2)
        refused = tried(finish_within(10, lambda: http.get_json("/403")))
        limited = tried(finish_within(10, lambda: http.get_json("/429")))
    assert str(refused.error) == f"GET {home.url}/api/403 answered 403: Forbidden"
    assert str(limited.error) == f"GET {home.url}/api/429: rate limited (429) (gave up after 3 attempts)"
    assert http.requests == 1 + 3


def test_rate_limits_and_failures_spend_budgets_of_their_own() -> None:
    script = iter([Answer(b"{}", 429, {"Retry-After": "0"})] * 2 + [Answer(b"{}", 500)] * 2)
    with Hostile({"/api/list": lambda p, q: next(script, Answer(PAGE))}) as home:
        http = client(f"{home.url}/api", max_retries=2)
        outcome = tried(finish_within(10, lambda: http.get_json("/list")))
    # Two throttled answers and two errors, then the page: 4 retries, neither budget over 2.
    assert outcome.result[1] == [{"id": 1, "title": "one"}] and http.requests == 5


def test_a_next_link_to_itself_stops_after_one_page() -> None:
    def itself(path: str, query: str) -> Answer:
        return Answer(PAGE, headers={"Link": f'<{home.url}{path}?{query}>; rel="next"'})

    with Hostile({"/api/list": itself}) as home:
        http = client(f"{home.url}/api")
        outcome = tried(finish_within(10, walk(http)))
    assert (
        str(outcome.error)
        == f"GET {home.url}/api/list: the next link came back again (a page already read); stopping"
    )
    assert http.requests == 1


def test_a_relative_next_link_is_the_page_s_own_and_stays_home() -> None:
    second = json.dumps([{"id": 2}]).encode()
    with Hostile(
        {
            "/api/list": Answer(PAGE, headers={"Link": '<more?page=2>; rel="next"'}),
            "/api/more": Answer(second),
        }
    ) as home:
        http = client(f"{home.url}/api")
        outcome = tried(finish_within(10, walk(http)))
    assert outcome.result == [[{"id": 1, "title": "one"}], [{"id": 2}]]
    assert [(r.path, r.query) for r in home.received] == [
        ("/api/list", "per_page=1"),
        ("/api/more", "page=2"),
    ]


def test_new_links_forever_to_the_same_records_stop_after_three_stale_pages() -> None:
    pages = itertools.count(2)

    def onwards(path: str, query: str) -> Answer:
        return Answer(PAGE, headers={"Link": f'<{home.url}{path}?page={next(pages)}>; rel="next"'})

    with Hostile({"/api/list": onwards}) as home:
        http = client(f"{home.url}/api")
        outcome = tried(finish_within(10, walk(http)))
    assert str(outcome.error).endswith("3 pages in a row brought no record not read before")
    assert http.requests == 4  # one page of news, then three without


def test_a_new_page_token_forever_stops_as_a_repeated_token() -> None:
    tokens = itertools.count()
    page = {"issues": [{"id": "10"}], "isLast": False}
    with Hostile(
        {
            "/api/search": lambda p, q: Answer(
                json.dumps({**page, "nextPageToken": f"t{next(tokens)}"}).encode()
            )
        }
    ) as home:
        http = client(f"{home.url}/api")
        outcome = tried(finish_within(10, lambda: list(token_pages(http, "/search", {}))))
    assert isinstance(outcome.error, RepeatedToken) and http.requests == 4


def test_offset_pages_past_the_announced_total_stop() -> None:
    ids = itertools.count()

    def more(path: str, query: str) -> Answer:
        return Answer(json.dumps({"values": [{"id": next(ids)}], "total": 2, "isLast": False}).encode())

    with Hostile({"/api/versions": more}) as home:
        http = client(f"{home.url}/api")
        outcome = tried(finish_within(10, lambda: list(offset_pages(http, "/versions", {}))))
    assert str(outcome.error) == (
        f"GET {home.url}/api/versions: more than 12 pages (the server announced total=2); stopping"
    )
    assert http.requests == 13  # ceil(2 / 1) pages + 10 pages of slack, then one too many


# --- bodies stay within the cap -----------------------------------------------------------------


def megabytes(count: int) -> Iterator[bytes]:
    """A JSON array of `count` MB, produced as it is sent (the server holds none of it)."""
    yield b"["
    record = b'{"id": 1, "body": "' + b"x" * 1000 + b'"},'
    for _ in range(count * 1024):
        yield record
    yield b'{"id": 2}]'


def test_a_body_over_max_response_mb_fails_after_reading_no_more_than_the_cap() -> None:
    announced = {"Content-Length": str(300 * 1024 * 1024)}
    with Hostile(
        {
            "/api/huge": lambda p, q: Answer(megabytes(8)),
            "/api/announced": Answer(megabytes(300), headers=announced),
        }
    ) as home:
        http = client(f"{home.url}/api", max_response_mb=1, max_retries=3)
        read = tried(finish_within(10, lambda: http.get_json("/huge")))
        said = tried(finish_within(10, lambda: http.get_json("/announced")))
    assert (
        str(read.error)
        == f"GET {home.url}/api/huge: the answer is over max_response_mb=1 (1 MB read or announced)"
    )
    assert str(said.error).endswith("over max_response_mb=1 (300 MB read or announced)")
    assert http.requests == 2  # not retried: the next answer would be as large


@LONG
def test_a_200_mb_page_keeps_memory_within_the_default_cap() -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KB on Linux
    with Hostile({"/api/huge": lambda p, q: Answer(megabytes(200))}) as home:
        outcome = tried(finish_within(120, lambda: HttpClient(f"{home.url}/api").get_json("/huge")))
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert "over max_response_mb=100" in str(outcome.error) and grown_mb < 250, grown_mb


# --- what the server says ---------------------------------------------------------------------


def test_a_lone_surrogate_in_a_title_lands_as_a_replacement_character() -> None:
    body = b'[{"id": 1, "title": "a\\ud800b", "emoji": "\\ud83d\\ude00"}]'
    with Hostile({"/api/list": Answer(body)}) as home:
        http = client(f"{home.url}/api")
        outcome = tried(finish_within(10, walk(http)))
    assert outcome.result == [[{"id": 1, "title": "a\ufffdb", "emoji": "\U0001f600"}]] and http.requests == 1


def test_server_error_text_cannot_forge_output_lines() -> None:
    forged = {"message": "bad\r\nsource ok: success\x1b[2K\x1b]0;title\x07 \u202eevil\x00"}
    with Hostile({"/api/list": Answer(json.dumps(forged).encode(), 400)}) as home:
        http = client(f"{home.url}/api")
        outcome = tried(finish_within(10, lambda: http.get_json("/list")))
    assert str(outcome.error) == (
        f"GET {home.url}/api/list answered 400: bad source ok: success \\u202eevil\\x00"
    )


def test_printable_keeps_text_and_escapes_the_rest() -> None:
    assert printable("Ünïcode ✓ text") == "Ünïcode ✓ text"
    assert printable("a\n\n\tb\u2028c") == "a b c"
    assert printable("\x1b[31mred\x1b[0m \x07bell \ud800") == "red \\x07bell \\ud800"
