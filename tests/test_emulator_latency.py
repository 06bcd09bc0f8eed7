"""`EmulatorServer(latency=...)`: every answer waits as a tracker across the internet does, and
requests in flight together wait together (the server stays concurrent)."""

from __future__ import annotations

import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from emulators.generator import generate_org
from emulators.server import EmulatorServer

LATENCY = 0.3
REQUESTS = 6  # one after another they would take 6 * 0.3 = 1.8 s


def timed_get(url: str) -> tuple[int, float]:
    started = time.perf_counter()
    request = urllib.request.Request(url, headers={"Authorization": "Bearer t"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        answer.read()
        return answer.status, time.perf_counter() - started


def test_each_answer_waits_the_latency_and_requests_in_flight_wait_together() -> None:
    with EmulatorServer(generate_org(seed=7, scale=0.05), latency=LATENCY) as server:
        url = f"{server.github_url}/repos/acme/web/milestones"
        status, alone = timed_get(url)
        assert status == 200 and alone >= LATENCY

        started = time.perf_counter()
        with ThreadPoolExecutor(REQUESTS) as pool:
            answers = list(pool.map(timed_get, [url] * REQUESTS))
        together = time.perf_counter() - started
    assert all(status == 200 and took >= LATENCY for status, took in answers), answers
    assert together < 2 * LATENCY + 0.6, together  # waited side by side, not one after another
