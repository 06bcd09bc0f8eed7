"""The replay harness (emulators/replay.py) over loopback HTTP: routing, recorded headers pointed at
the replay, accepted secrets, and what no recording answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from emulators.replay import ReplayServer

ORIGIN = "https://tracker.example.com/api/v4"
ISSUES = "/projects/acme%2Fweb/issues"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ReplayServer]:
    (tmp_path / "page1.json").write_text('[{"id": 1}]', encoding="utf-8")
    (tmp_path / "page2.json").write_text('[{"id": 2}]', encoding="utf-8")
    manifest = {
        "origin": ORIGIN,
        "secrets": {"token": "s3cret"},
        "routes": [
            {
                "path": ISSUES,
                "file": "page1.json",
                "headers": {"Link": f'<{ORIGIN}{ISSUES}?page=2>; rel="next"', "X-Total": "2"},
            },
            {"path": ISSUES, "query": {"page": "2"}, "file": "page2.json"},
            {"path": ISSUES, "query": {"updated_after": "*"}, "body": []},
            {"path": ISSUES, "query": {"updated_after": "*", "page": "2"}, "status": 500, "body": {}},
            {"method": "POST", "path": "/session", "status": 201, "body": {"ok": True}},
        ],
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with ReplayServer(tmp_path / "manifest.json") as running:
        yield running


def get(server: ReplayServer, target: str, **headers: str) -> requests.Response:
    return requests.get(server.url + target, headers={"PRIVATE-TOKEN": "s3cret", **headers}, timeout=5)


def test_a_recorded_link_pages_through_the_replay(server: ReplayServer) -> None:
    first = get(server, f"{ISSUES}?per_page=100&state=all")  # parameters no route names are ignored
    assert first.json() == [{"id": 1}]
    assert first.headers["X-Total"] == "2"
    # The recorded site's origin in the Link header is now the replay's own address.
    assert first.links["next"]["url"] == f"{server.url}{ISSUES}?page=2"
    assert get(server, f"{ISSUES}?page=2&per_page=100").json() == [{"id": 2}]
    assert server.missed == []


def test_any_value_matches_a_star_and_the_route_naming_most_parameters_wins(server: ReplayServer) -> None:
    assert get(server, f"{ISSUES}?updated_after=2024-01-01T00:00:00Z").json() == []
    both = get(server, f"{ISSUES}?updated_after=2024-01-01T00:00:00Z&page=2")
    assert (both.status_code, both.json()) == (500, {})
    posted = requests.post(f"{server.url}/session", headers={"PRIVATE-TOKEN": "s3cret"}, timeout=5)
    assert (posted.status_code, posted.json()) == (201, {"ok": True})


def test_a_request_without_the_secret_is_refused(server: ReplayServer) -> None:
    refused = requests.get(server.url + ISSUES, headers={"PRIVATE-TOKEN": "wrong"}, timeout=5)
    assert refused.status_code == 401
    # A Basic pair carries it too (Jira's email and token).
    basic = requests.get(server.url + ISSUES, auth=("me@example.com", "s3cret"), timeout=5)
    assert basic.json() == [{"id": 1}]


def test_what_no_recording_answers_is_404_and_kept(server: ReplayServer) -> None:
    missing = get(server, "/projects/acme%2Fweb/milestones?state=all")
    assert missing.status_code == 404
    assert missing.json()["errorMessages"] == ["nothing recorded for GET /projects/acme%2Fweb/milestones"]
    assert server.missed == [("GET", "/projects/acme%2Fweb/milestones", {"state": "all"})]
