"""Helpers for the Jira emulator tests: the saved API examples, key-drift checks and a served site."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from emulators.generator import DEMO_AS_OF
from emulators.jira.api import JiraApi
from emulators.jira.model import JiraSite
from emulators.jira.story import generate_jira
from emulators.server import EmulatorServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "jira"
AS_OF: datetime = DEMO_AS_OF


def example(name: str) -> Any:
    """A saved Jira example or recording from tests/fixtures/jira/."""
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def missing_keys(
    actual: Any, expected: Any, path: str = "$", optional: frozenset[str] = frozenset()
) -> list[str]:
    """Where `actual` lacks a key the example has, recursively through objects and first list items.

    `optional` names keys Jira itself leaves out on some objects (a hidden emailAddress)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        gaps = [f"{path}.{key}" for key in expected if key not in actual and key not in optional]
        for key, value in expected.items():
            if key in actual:
                gaps += missing_keys(actual[key], value, f"{path}.{key}", optional)
        return gaps
    if isinstance(expected, list) and isinstance(actual, list) and expected and actual:
        return missing_keys(actual[0], expected[0], f"{path}[0]", optional)
    return []


def session(name: str) -> requests.Session:
    """A Cloud-style session (email + API token) with a token of its own, so its own budget."""
    client = requests.Session()
    client.auth = ("sync@acme.example", hashlib.sha256(name.encode()).hexdigest()[:24])
    return client


@contextmanager
def served(site: JiraSite, **options: Any) -> Iterator[str]:
    """`site` served over loopback HTTP; yields the base URL a Jira source's base_url would hold."""
    with EmulatorServer(None, mounts={"/jira": JiraApi(site, **options)}) as server:  # type: ignore[arg-type]
        yield f"{server.url}/jira"


def demo_site(seed: int = 7, scale: float = 1.0) -> JiraSite:
    return generate_jira(seed, scale, AS_OF)


# Fixtures for the Jira test modules, which import them (pytest finds them by their `name`).


@pytest.fixture(scope="module", name="site")
def site_fixture() -> JiraSite:
    """The demo site at seed 7, scale 1. Read only: tests that change data generate their own."""
    return demo_site()


@pytest.fixture(scope="module", name="base")
def base_fixture(site: JiraSite) -> Iterator[str]:
    """The base URL the read-only site is served under."""
    with served(site) as url:
        yield url
