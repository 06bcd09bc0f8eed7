"""Helpers for the GitLab emulator tests: the saved examples, a served instance, a Link-following reader."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from emulators.generator import DEMO_AS_OF, PEOPLE
from emulators.gitlab.api import GitLabApi
from emulators.gitlab.model import GitLabModel
from emulators.gitlab.story import generate_gitlab
from emulators.org import Clock, Org
from emulators.server import EmulatorServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "gitlab"


def example(name: str) -> Any:
    """A saved GitLab example from tests/fixtures/gitlab/."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def generate(seed: int = 7, scale: float = 1.0) -> tuple[GitLabModel, Org]:
    """The demo GitLab instance on an organisation clock of its own (tests may change it)."""
    clock = Clock(DEMO_AS_OF)
    model = generate_gitlab(seed, scale, DEMO_AS_OF, PEOPLE, clock)
    return model, Org(models={"gitlab": model}, clock_source=clock, people=PEOPLE, seed=seed, scale=scale)


@contextmanager
def serve(model: GitLabModel, org: Org, **api: Any) -> Iterator[str]:
    """Serve `model` over loopback HTTP; yields the base_url (standing for https://HOST/api/v4)."""
    with EmulatorServer(org, mounts={"/gitlab": GitLabApi(model, **api)}) as server:
        yield f"{server.url}/gitlab"


def session(token: str = "glpat-test") -> requests.Session:
    client = requests.Session()
    client.headers["PRIVATE-TOKEN"] = token
    return client


def get_all(client: requests.Session, url: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a list endpoint, following rel="next" as a connector does, and checking on
    each page what GitLab promises of it: a JSON array of at most X-Per-Page items (offset paging)
    and the request budget in RateLimit-* headers."""
    items: list[dict[str, Any]] = []
    response = client.get(url, params={"per_page": 100, **params})
    while True:
        assert response.status_code == 200, response.text
        page = response.json()
        assert isinstance(page, list)
        if "X-Per-Page" in response.headers:
            assert len(page) <= int(response.headers["X-Per-Page"])
        assert int(response.headers["RateLimit-Remaining"]) < int(response.headers["RateLimit-Limit"])
        items.extend(page)
        if "next" not in response.links:
            return items
        response = client.get(response.links["next"]["url"])
