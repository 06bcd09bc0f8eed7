"""The HTTP client against each fault the emulator injects: bounded retries that honour the
tracker's waits, then one clear line when the fault persists."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from connectors.http import ConnectorError, HttpClient
from emulators.faults import FaultPlan
from emulators.generator import generate_org
from emulators.org import Org
from emulators.server import EmulatorServer
from tests.reliability.conftest import FIGURES
from tests.reliability.hostile import quick_client

MILESTONES = "/repos/acme/web/milestones"


@pytest.fixture(scope="module")
def org() -> Org:
    return generate_org(seed=7, scale=0.2)


@pytest.fixture
def serve(org: Org) -> Iterator:
    servers: list[EmulatorServer] = []

    def start(spec: str) -> tuple[EmulatorServer, FaultPlan]:
        plan = FaultPlan.parse(spec)
        servers.append(EmulatorServer(org, faults=plan).start())
        return servers[-1], plan

    yield start
    for server in servers:
        FIGURES.faults.update(server.faults.injected)
        server.stop()


def client(server: EmulatorServer, **settings: object) -> HttpClient:
    return quick_client(server.github_url, **settings)


def test_retry_after_is_honoured_on_every_attempt(serve) -> None:
    server, plan = serve(f"429:1@/github{MILESTONES},retry_after=1")
    started = time.monotonic()
    with pytest.raises(ConnectorError) as failed:
        client(server, max_retries=1).get_json(MILESTONES)
    elapsed = time.monotonic() - started
    # One retry layer: two tries, Retry-After waited once between them.
    assert plan.injected == {"429": 2} and 1.0 <= elapsed < 3.0
    assert str(failed.value).endswith("rate limited (429) (gave up after 2 attempts)")


def test_secondary_limit_waits_its_floor_or_retry_after(serve) -> None:
    server, plan = serve(f"secondary_bare:1@/github{MILESTONES},retry_after=1")
    started = time.monotonic()
    with pytest.raises(ConnectorError, match=r"rate limited \(403\)"):
        client(server, max_retries=2, secondary_wait_seconds=0.2).get_json(MILESTONES)
    assert 0.2 + 0.4 <= time.monotonic() - started < 2.0  # the floor, doubled for the second wait
    server, plan = serve(f"secondary:1@/github{MILESTONES},retry_after=1")
    started = time.monotonic()
    with pytest.raises(ConnectorError):
        client(server, max_retries=1, secondary_wait_seconds=60).get_json(MILESTONES)
    assert 1.0 <= time.monotonic() - started < 3.0  # Retry-After, not the 60 s floor


@pytest.mark.parametrize(
    ("kind", "problem"),
    [
        ("500", "answered 500: Internal server error"),
        ("503", "answered 503: Service unavailable"),
        ("reset", "the connection failed (ConnectionError)"),
        ("cut", "the body was cut short (ChunkedEncodingError)"),
        ("slow", "no complete answer within timeout_seconds=0.5"),
        ("truncate", "body that is not valid JSON"),
    ],
)
def test_a_persisting_fault_fails_with_one_line_after_bounded_attempts(
    serve, kind: str, problem: str
) -> None:
    server, plan = serve(f"{kind}:1,slow_seconds=0.8")
    http = client(server)
    with pytest.raises(ConnectorError) as failed:
        http.get_json(MILESTONES)
    message = str(failed.value)
    assert (
        "\n" not in message
        and message.startswith(f"GET {server.github_url}{MILESTONES}")
        and problem in message
    )
    assert plan.injected[kind] == 3 and http.requests == 3  # 1 + max_retries, each counted


@pytest.mark.parametrize("kind", ["429", "429_bare", "secondary", "502", "reset", "cut", "slow", "truncate"])
def test_a_passing_fault_is_survived(serve, kind: str) -> None:
    server, plan = serve(f"{kind}:0.3,seed=2,retry_after=0,slow_seconds=0.8")
    http = client(server, max_retries=6)
    pages = [http.get_json(MILESTONES, params={"state": "all", "page": n})[1] for n in range(1, 6)]
    assert all(isinstance(page, list) for page in pages) and plan.injected.get(kind, 0) >= 1


def test_transferred_issue_redirects_and_moves_between_lists(serve, org: Org) -> None:
    server, _ = serve("")
    web, api = org.github.repo("acme/web"), org.github.repo("acme/api")
    number = next(n for n, issue in sorted(web.issues.items()) if issue.pull is None)
    old_id = web.issues[number].id
    moved = web.transfer_issue(number, api)
    http = client(server)
    response, issue = http.get_json(f"/repos/acme/web/issues/{number}")
    assert response.history[0].status_code == 301 and issue["number"] == moved.number
    assert issue["id"] != old_id and issue["repository_url"].endswith("/repos/acme/api")
    listed = {
        i["id"] for i in http.get_json("/repos/acme/web/issues", params={"state": "all", "per_page": 100})[1]
    }
    assert old_id not in listed
