"""Shared fixtures: one generated organisation served over real loopback HTTP for read-only tests.

Also the reliability suite's closing figures: under pytest-xdist (`make test` runs `-n 2`) the
controller loads this conftest but not tests/reliability's, and only the controller prints.
"""

from __future__ import annotations

import hashlib
import signal
from collections.abc import Iterator

import pytest
import requests

from emulators.generator import generate_org
from emulators.org import Org
from emulators.server import EmulatorServer
from tests.reliability import tally
from tests.reliability.conftest import FIGURES


@pytest.hookimpl(trylast=True)  # after the tmpdir plugin's, which makes the factory
def pytest_configure(config: pytest.Config) -> None:
    """Hostile-test counts go to this session's basetemp (or $TALLY_FILE), see tally.py. Set in the
    controller before pytest-xdist starts its workers: they and their subprocesses inherit it."""
    if not hasattr(config, "workerinput"):
        tally.use(config._tmp_path_factory.getbasetemp() / "tally.json")  # as xdist reads it too
    # Started in the background by a shell without job control, pytest (and its xdist workers)
    # inherit SIGINT ignored; each in-process Dagster run then sets SIGTERM to SIGINT's handler
    # (dagster._utils.interrupts), so the servers and CLIs the tests stop with terminate() would
    # ignore it and outlive their test.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    """A pytest-xdist worker finished: add its reliability figures (tests/reliability/conftest.py)."""
    FIGURES.add(getattr(node, "workeroutput", {}).get("reliability_figures", {}))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    hostile = tally.summary()
    if FIGURES.runs or hostile:
        terminalreporter.write_sep("-", "reliability figures")
        for line in FIGURES.lines() if FIGURES.runs else []:
            terminalreporter.write_line(line)
        if hostile:
            terminalreporter.write_line(hostile)


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
