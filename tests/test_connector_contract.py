"""The contract every connector passes, run against each registered tracker's emulator.

A data engineer adding a tracker registers it (`TRACKER` in connectors/<type>/, one line in
connectors/__init__.py) with `emulator="emulators.<type>"`, whose package exports `EMULATED`
(emulators/emulated.py); these tests then hold it to what the pipeline relies on, reading the
emulated organisation's demo source through the tracker's own config model.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from datetime import UTC
from importlib import import_module
from pathlib import Path
from typing import get_args

import pytest

from connectors import PACKAGES, TRACKERS
from connectors.base import Connector
from connectors.http import ConnectorError
from emulators.emulated import registered
from emulators.generator import generate_org
from emulators.server import EmulatorServer

ROOT = Path(__file__).resolve().parents[1]
EMULATED = sorted(kind for kind, tracker in TRACKERS.items() if tracker.emulator)


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(generate_org(seed=3, scale=0.3)) as running:
        yield running


def connector(kind: str, server: EmulatorServer, **secrets: str) -> Connector:
    """The tracker's connector on the emulated organisation's demo source, validated as a config is."""
    tracker, record = TRACKERS[kind], registered()[kind]
    entry = record.source(server.url_of(kind), server.org.models[kind])
    names = {f"{role}_env": f"CONTRACT_{role.upper()}" for role in record.secrets}  # never read
    source = tracker.source.model_validate({"name": "contract", "type": kind, **names, **entry})
    settings = source.model_dump(mode="json")
    cls = tracker.connector
    return cls(cls.client_for(settings, **(secrets or record.secrets)), settings)


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


def test_each_tracker_is_registered_from_its_own_folder() -> None:
    for package, tracker in zip(PACKAGES, TRACKERS.values(), strict=True):
        assert package == f"connectors.{tracker.type}"
        assert tracker.connector.source_type == tracker.type
        assert tracker.connector.__module__.startswith(f"{package}.")
        assert get_args(tracker.source.model_fields["type"].annotation) == (tracker.type,)
        assert tracker.scope_key in tracker.source.model_fields
        assert all(
            key.endswith("_env") and key in tracker.source.model_fields for key in tracker.secret_fields
        )


def test_every_emulator_is_the_one_its_tracker_registers() -> None:
    assert sorted(registered()) == EMULATED
    for kind in EMULATED:
        assert import_module(TRACKERS[kind].emulator).EMULATED is registered()[kind]
        assert registered()[kind].type == kind


@pytest.mark.parametrize("kind", EMULATED)
def test_streams_are_declared(kind: str) -> None:
    cls = TRACKERS[kind].connector
    names = [s.name for s in cls.streams]
    assert len(names) == len(set(names)) and cls.census_stream in names
    assert all(s.primary_key and s.path for s in cls.streams)


@pytest.mark.parametrize("kind", EMULATED)
def test_first_read_lands_keyed_records_and_commits_a_state(kind: str, server: EmulatorServer) -> None:
    conn = connector(kind, server)
    records, final = read_all(conn)
    assert records[(conn.scopes()[0], conn.census_stream)]
    for (_, name), rows in records.items():
        stream = next(s for s in conn.streams if s.name == name)
        keys = [conn.record_key(stream, r) for r in rows]
        assert all(isinstance(k.id, str) and k.id for k in keys)
        assert all(k.cursor is None or k.cursor.tzinfo == UTC for k in keys)
        if stream.cursor_field and rows:  # a list absent here (a free tier's 403) lands none
            assert any(k.cursor for k in keys), f"{kind} {name}: no record has its cursor"
    # Every stream that read anything ends on a committed state, so the next run resumes.
    assert all(final.get(key) is not None for key in records)


@pytest.mark.parametrize("kind", EMULATED)
def test_second_read_from_the_states_is_cheap(kind: str, server: EmulatorServer) -> None:
    conn = connector(kind, server)
    first, states = read_all(conn)
    issues_first = sum(len(v) for (_, name), v in first.items() if name == conn.census_stream)
    again = connector(kind, server)
    second, _ = read_all(again, states)
    issues_second = sum(len(v) for (_, name), v in second.items() if name == conn.census_stream)
    assert issues_second < issues_first / 2  # only the overlap window comes back
    assert again.client.requests < conn.client.requests


@pytest.mark.parametrize("kind", EMULATED)
def test_census_lists_what_a_full_read_lands(kind: str, server: EmulatorServer) -> None:
    conn = connector(kind, server)
    records, _ = read_all(conn)
    stream = next(s for s in conn.streams if s.name == conn.census_stream)
    for scope in conn.scopes():
        landed = {conn.record_key(stream, r).id for r in records[(scope, conn.census_stream)]}
        assert conn.census(scope) == landed


@pytest.mark.parametrize("kind", EMULATED)
def test_check_passes_and_a_missing_token_is_refused(kind: str, server: EmulatorServer) -> None:
    connector(kind, server).check()
    with pytest.raises(ConnectorError, match="401"):
        connector(kind, server, **{**registered()[kind].secrets, "token": ""}).check()


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
