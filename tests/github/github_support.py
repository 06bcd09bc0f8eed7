"""Helpers for the GitHub emulator tests: the saved API examples and a Link-following reader."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "github"


def example(name: str) -> Any:
    """A saved GitHub example or recording from tests/fixtures/github/."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def get_all(session: requests.Session, url: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a list endpoint, following rel="next" as a connector does."""
    items: list[dict[str, Any]] = []
    response = session.get(url, params={"per_page": 100, **params})
    while True:
        assert response.status_code == 200, response.text
        items.extend(response.json())
        if "next" not in response.links:
            return items
        response = session.get(response.links["next"]["url"])
