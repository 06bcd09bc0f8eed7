"""Shared fixtures: one generated organisation served over real loopback HTTP for read-only tests."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
import requests

from emulators.generator import generate_org
from emulators.org import Org
from emulators.server import EmulatorServer


@pytest.fixture(scope="session")
def demo_org() -> Org:
    """The demo organisation at seed 7, scale 1. Read only: tests that change data generate their own."""
    return generate_org(seed=7, scale=1.0)


@pytest.fixture(scope="session")
def server(demo_org: Org) -> Iterator[EmulatorServer]:
    with EmulatorServer(demo_org) as running:
        yield running


@pytest.fixture
def gh(request: pytest.FixtureRequest) -> Iterator[requests.Session]:
    """A session with its own token, so each test has a fresh rate-limit budget."""
    session = requests.Session()
    token = hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:20]
    session.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json"})
    yield session
    session.close()
