"""The contract every connector passes, run against each registered tracker's emulator.

A data engineer adding a tracker registers its connector in `connectors.CONNECTORS` and its
emulator in `EMULATED` below; these tests then hold it to what the pipeline relies on.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest

from connectors import CONNECTORS
from connectors.base import Connector
from connectors.http import ConnectorError
from emulators.generator import generate_org
from emulators.server import EmulatorServer

ROOT = Path(__file__).resolve().parents[1]

# type -> (settings for the emulated organisation at `url`, secrets)
EMULATED: dict[str, Callable[[str], tuple[dict[str, Any], dict[str, str]]]] = {
    "github": lambda url: (
        {"base_url": f"{url}/github", "repos": ["acme/web", "acme/api"], "per_page": 50},
        {"token": "t"},
    ),
    "jira": lambda url: (
        {"base_url": f"{url}/jira", "deployment": "cloud", "projects": ["PAY", "WEB"]},
        {"token": "t", "email": "e@example.com"},
    ),
}


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(generate_org(seed=3, scale=0.3)) as running:
        yield running


def connector(kind: str, server: EmulatorServer, **secrets: str) -> Connector:
    settings, default_secrets = EMULATED[kind](server.url)
    cls = CONNECTORS[kind]
    return cls(cls.client_for(settings, **(secrets or default_secrets)), settings)


def read_all(conn: Connector, states: dict | None = None) -> tuple[dict, dict]:
    """Every stream of every scope: records by (scope, stream) and the last state yielded."""
    records: dict[tuple[str, str], list[dict]] = {}
    final: dict[tuple[str, str], dict | None] = {}
    for scope in conn.scopes():
        for stream in conn.streams:
            key = (scope, stream.name)
            for page in conn.read(scope, stream, (states or {}).get(key)):
                records.setdefault(key, []).extend(page.records)
                if page.state is not None:
                    final[key] = page.state
    return records, final


def test_every_registered_connector_has_an_emulator() -> None:
    assert set(CONNECTORS) == set(EMULATED)


@pytest.mark.parametrize("kind", sorted(EMULATED))
def test_streams_are_declared(kind: str) -> None:
    cls = CONNECTORS[kind]
    names = [s.name for s in cls.streams]
    assert len(names) == len(set(names)) and cls.census_stream in names
    assert all(s.primary_key and s.path for s in cls.streams)


@pytest.mark.parametrize("kind", sorted(EMULATED))
def test_first_read_lands_keyed_records_and_commits_a_state(kind: str, server: EmulatorServer) -> None:
    conn = connector(kind, server)
    records, final = read_all(conn)
    assert records[(conn.scopes()[0], conn.census_stream)]
    for (_, name), rows in records.items():
        stream = next(s for s in conn.streams if s.name == name)
        keys = [conn.record_key(stream, r) for r in rows]
        assert all(isinstance(k.id, str) and k.id for k in keys)
        assert all(k.cursor is None or k.cursor.tzinfo == UTC for k in keys)
        if stream.cursor_field:
            assert any(k.cursor for k in keys), f"{kind} {name}: no record has its cursor"
    # Every stream that read anything ends on a committed state, so the next run resumes.
    assert all(final.get(key) is not None for key in records)


@pytest.mark.parametrize("kind", sorted(EMULATED))
def test_second_read_from_the_states_is_cheap(kind: str, server: EmulatorServer) -> None:
    conn = connector(kind, server)
    first, states = read_all(conn)
    issues_first = sum(len(v) for (_, name), v in first.items() if name == conn.census_stream)
    again = connector(kind, server)
    second, _ = read_all(again, states)
    issues_second = sum(len(v) for (_, name), v in second.items() if name == conn.census_stream)
    assert issues_second < issues_first / 2  # only the overlap window comes back
    assert again.client.requests < conn.client.requests


@pytest.mark.parametrize("kind", sorted(EMULATED))
def test_census_lists_what_a_full_read_lands(kind: str, server: EmulatorServer) -> None:
    conn = connector(kind, server)
    records, _ = read_all(conn)
    stream = next(s for s in conn.streams if s.name == conn.census_stream)
    for scope in conn.scopes():
        landed = {conn.record_key(stream, r).id for r in records[(scope, conn.census_stream)]}
        assert conn.census(scope) == landed


@pytest.mark.parametrize("kind", sorted(EMULATED))
def test_check_passes_and_a_missing_token_is_refused(kind: str, server: EmulatorServer) -> None:
    connector(kind, server).check()
    _, secrets = EMULATED[kind](server.url)
    with pytest.raises(ConnectorError, match="401"):
        connector(kind, server, **{**secrets, "token": ""}).check()


def imports_of(path: Path) -> set[str]:
    """Top-level packages a module imports (relative imports left out)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def imports(package: str) -> set[str]:
    return set().union(*(imports_of(path) for path in (ROOT / package).rglob("*.py")))


def test_dependencies_point_one_way() -> None:
    """connectors know HTTP only; emulators know nothing of the project; only the demo imports emulators."""
    assert not imports("connectors") & {"dagster", "duckdb", "pipelines", "emulators", "pandas"}
    assert not imports("emulators") & {"connectors", "pipelines", "dagster", "duckdb", "requests"}
    users = [p for p in (ROOT / "pipelines").rglob("*.py") if "emulators" in imports_of(p)]
    assert [p.name for p in users] == ["demo.py"]
