"""`trackerlake new-tracker` in a copy of the repository: the scaffold fails the shared contract,
naming what is left to fill, until its declarations are filled; then it passes.

The tracker filled in is a toy over recorded-style pages: three issues on two Link-paged pages,
two milestones, and each issue's events (opened, closed, milestone added and removed), served by
the replay harness (emulators/replay.py) from the manifest the scaffold wrote.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
ORIGIN = "https://toy.example.com/api"

CONNECTOR_FILL = {
    'Stream("issues"': 'Stream("issues", "/projects/{scope}/issues", params={"sort": "updated_asc"}, '
    'cursor_param="updated_after"),',
    'Stream("milestones"': 'Stream("milestones", "/projects/{scope}/milestones", cursor_field=None),',
    'Stream("events"': 'Stream("events", "/projects/{scope}/issues/{number}/events", cursor_field="created_at", '
    'parent=Parent("issues", keys=("id", "number"))),',
    "headers = {": 'headers = {"Authorization": f"Bearer {token}"}',
}

TIME = "::TIMESTAMPTZ"
# Per staging file: its description, each column filled (the rest stay typed NULLs), its WHERE.
STAGING_FILL: dict[str, tuple[str, dict[str, str], str]] = {
    "work_items": (
        "Toy issues as work items.",
        {
            "work_item_id": "source || ':' || id",
            "source": "source",
            "source_type": "'toy'",
            "project": "scope",
            "key": "scope || '#' || (data->>'number')",
            "native_id": "id",
            "title": "data->>'title'",
            "item_type": "'task'",
            "status": "data->>'state'",
            "status_category": "CASE data->>'state' WHEN 'closed' THEN 'done' ELSE 'todo' END",
            "resolution": "CASE data->>'state' WHEN 'closed' THEN 'completed' END",
            "is_customer_reported": "false",
            "labels": "[]::VARCHAR[]",
            "created_at": f"(data->>'created_at'){TIME}",
            "updated_at": f"(data->>'updated_at'){TIME}",
            "closed_at": f"(data->>'closed_at'){TIME}",
        },
        "WHERE deleted_at IS NULL",
    ),
    "milestones": (
        "Toy milestones.",
        {
            "milestone_id": "source || ':' || id",
            "source": "source",
            "source_type": "'toy'",
            "project": "scope",
            "kind": "'toy_milestone'",
            "name": "data->>'title'",
            "state": "CASE data->>'state' WHEN 'active' THEN 'open' ELSE 'closed' END",
            "due_date": "(data->>'due_date')::DATE",
            "created_at": f"(data->>'created_at'){TIME}",
            "closed_at": f"(data->>'closed_at'){TIME}",
        },
        "WHERE deleted_at IS NULL",
    ),
    "work_item_milestones": (
        "Each toy issue's milestone now.",
        {
            "work_item_id": "source || ':' || id",
            "milestone_id": "source || ':' || (data->>'$.milestone.id')",
        },
        "WHERE deleted_at IS NULL AND data->>'$.milestone.id' IS NOT NULL",
    ),
    "item_events": (
        "Toy issue events as item events: opened is the creation, closed and reopened status changes.",
        {
            "work_item_id": "source || ':' || (data->>'$._parent.id')",
            "happened_at": f"(data->>'created_at'){TIME}",
            "seq": "(data->>'id')::BIGINT",
            "kind": "CASE WHEN data->>'state' = 'opened' THEN 'created' WHEN data->>'state' IS NOT NULL "
            "THEN 'status_changed' WHEN data->>'action' = 'add' THEN 'milestone_joined' ELSE 'milestone_left' END",
            "status": "CASE data->>'state' WHEN 'closed' THEN 'closed' WHEN 'opened' THEN 'open' "
            "WHEN 'reopened' THEN 'open' END",
            "status_category": "CASE data->>'state' WHEN 'closed' THEN 'done' WHEN 'opened' THEN 'todo' "
            "WHEN 'reopened' THEN 'todo' END",
            "milestone_id": "source || ':' || (data->>'$.milestone.id')",
        },
        "WHERE deleted_at IS NULL",
    ),
}
NOT_IN_TOY = ("pull_requests", "pull_request_links", "work_item_affects")


def issue(number: int, state: str, created: str, updated: str, milestone: int) -> dict[str, Any]:
    return {
        "id": 100 + number,
        "number": number,
        "title": f"Toy issue {number}",
        "state": state,
        "created_at": created,
        "updated_at": updated,
        "closed_at": updated if state == "closed" else None,
        "milestone": {"id": milestone},
    }


def event(id_: int, at: str, **change: Any) -> dict[str, Any]:
    return {"id": id_, "created_at": at, **change}


ISSUES = [
    issue(1, "closed", "2024-01-10T09:00:00Z", "2024-02-01T10:00:00Z", 11),
    issue(2, "open", "2024-01-12T09:00:00Z", "2024-02-05T10:00:00Z", 11),
    issue(3, "closed", "2024-01-15T09:00:00Z", "2024-02-10T10:00:00Z", 12),
]
MILESTONES = [
    {
        "id": 11,
        "title": "v1.0",
        "state": "active",
        "due_date": "2024-03-01",
        "created_at": "2024-01-05T00:00:00Z",
    },
    {
        "id": 12,
        "title": "v0.9",
        "state": "closed",
        "due_date": "2024-02-15",
        "created_at": "2024-01-02T00:00:00Z",
        "closed_at": "2024-02-14T00:00:00Z",
    },
]
EVENTS = {
    1: [
        event(1001, "2024-01-10T09:00:00Z", state="opened"),
        event(1002, "2024-01-10T09:00:00Z", action="add", milestone={"id": 11}),
        event(1003, "2024-02-01T10:00:00Z", state="closed"),
    ],
    2: [
        event(2001, "2024-01-12T09:00:00Z", state="opened"),
        event(2002, "2024-01-12T09:00:00Z", action="add", milestone={"id": 11}),
    ],
    3: [
        event(3001, "2024-01-15T09:00:00Z", state="opened"),
        event(3002, "2024-01-15T09:00:00Z", action="add", milestone={"id": 11}),
        event(3003, "2024-01-20T09:00:00Z", action="remove", milestone={"id": 11}),
        event(3004, "2024-01-20T09:00:00Z", action="add", milestone={"id": 12}),
        event(3005, "2024-02-10T10:00:00Z", state="closed"),
    ],
}


def manifest() -> dict[str, Any]:
    """Issues on two pages (the first's Link names the recorded site), milestones, events per issue."""
    issues = "/projects/app/issues"
    routes = [
        {
            "path": issues,
            "file": "issues_1.json",
            "headers": {"Link": f'<{ORIGIN}{issues}?sort=updated_asc&page=2>; rel="next"'},
        },
        {"path": issues, "query": {"page": "2"}, "file": "issues_2.json"},
        {"path": issues, "query": {"updated_after": "*"}, "body": []},
        {"path": "/projects/app/milestones", "file": "milestones.json"},
    ]
    routes += [{"path": f"{issues}/{n}/events", "file": f"events_{n}.json"} for n in EVENTS]
    return {
        "origin": ORIGIN,
        "secrets": {"token": "recorded-token"},
        "source": {"projects": ["app"]},
        "as_of": "2024-02-20T00:00:00Z",
        "routes": routes,
    }


def fill(repo: Path) -> None:
    """Fill every blank the scaffold left, as a data engineer would."""
    connector = repo / "connectors" / "toy" / "connector.py"
    lines = connector.read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        for start, declaration in CONNECTOR_FILL.items():
            if line.strip().startswith(start):
                lines[index] = line[: line.index(start)] + declaration
    connector.write_text("\n".join(lines) + "\n", encoding="utf-8")

    staging = repo / "models" / "staging" / "toy"
    for entity in NOT_IN_TOY:
        (staging / f"{entity}.sql").unlink()
    for entity, (description, columns, where) in STAGING_FILL.items():
        path = staging / f"{entity}.sql"
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"\A-- TODO\(new-tracker\).*", f"-- {description}", text)
        for column, expression in columns.items():
            text, count = re.subn(
                rf"^    NULL::\S+ AS {column}(,?)$", rf"    {expression} AS {column}\1", text, flags=re.M
            )
            assert count == 1, f"{entity}.sql has no typed NULL for {column}"
        path.write_text(re.sub(r"^WHERE false.*$", where, text, flags=re.M), encoding="utf-8")

    replay = repo / "tests" / "toy" / "replay"
    for placeholder in replay.glob("*.json"):
        placeholder.unlink()
    pages = {
        "manifest.json": manifest(),
        "issues_1.json": ISSUES[:2],
        "issues_2.json": ISSUES[2:],
        "milestones.json": MILESTONES,
    }
    pages |= {f"events_{n}.json": events for n, events in EVENTS.items()}
    for name, content in pages.items():
        (replay / name).write_text(json.dumps(content, indent=2), encoding="utf-8")


def copy_of_repo(target: Path) -> Path:
    """The repository's tracked files as they are now (uncommitted edits included)."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in listed.decode().split("\0"):
        source = ROOT / name
        if name and source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def run(repo: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """A command of the copy's code, with the project's venv (its python first on PATH)."""
    env = {
        **os.environ,
        "PYTHONPATH": str(repo),
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    return subprocess.run(
        [sys.executable, *args], cwd=cwd or repo, env=env, capture_output=True, text=True, timeout=600
    )


def contract(repo: Path) -> subprocess.CompletedProcess[str]:
    """The shared contract: the new tracker's own test (tests/contract.py and the warehouse doc),
    the run of every registered tracker with it, and the registration checks every tracker passes."""
    return run(
        repo,
        "-m",
        "pytest",
        "-q",
        "-rp",  # names each passed test
        "-p",
        "no:cacheprovider",
        "tests/toy",
        "tests/test_tracker_contract.py",
        "tests/test_connector_contract.py::test_each_tracker_is_registered_from_its_own_folder",
    )


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    repo = copy_of_repo(tmp_path_factory.mktemp("repo"))
    return repo, run(repo, "-m", "pipelines.cli", "new-tracker", "toy")


def test_new_tracker_writes_the_folders_and_lists_what_is_left(
    scaffolded: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    repo, made = scaffolded
    assert made.returncode == 0, made.stderr
    for path in (
        "connectors/toy/connector.py",
        "models/staging/toy/item_events.sql",
        "tests/toy/replay/manifest.json",
    ):
        assert (repo / path).is_file()
    packages = (repo / "connectors" / "__init__.py").read_text(encoding="utf-8")
    assert packages.count('"connectors.toy",') == 1
    # 3 streams and the auth header; a description and a mapping in each staging file (one per
    # canonical entity: 7); origin, project, as_of and the routes of the manifest; then
    # regenerating the doc and running the tests: 4 + 14 + 4 + 2 = 24 numbered steps.
    steps = re.findall(r"^ *(\d+)\. ", made.stdout, flags=re.M)
    assert steps == [str(n) for n in range(1, 25)], made.stdout
    assert "python -m pipelines.docs" in made.stdout


def test_new_tracker_refuses_a_taken_or_bad_name_and_another_folder(
    scaffolded: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    repo, _ = scaffolded
    again = run(repo, "-m", "pipelines.cli", "new-tracker", "toy")
    assert (again.returncode, again.stderr) == (
        2,
        "trackerlake: new-tracker: 'toy' exists already (connectors/toy)\n",
    )
    for bad in ("Toy", "9lives", "toy-tracker", "class"):
        refused = run(repo, "-m", "pipelines.cli", "new-tracker", bad)
        assert refused.returncode == 2 and "must match [a-z][a-z0-9_]*" in refused.stderr, bad
    elsewhere = run(repo, "-m", "pipelines.cli", "new-tracker", "other", cwd=tmp_path)
    assert elsewhere.returncode == 2 and "run it from the repository's root" in elsewhere.stderr
    assert not (repo / "connectors" / "other").exists()


def test_the_scaffold_fails_the_contract_naming_each_blank_until_filled(
    scaffolded: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    repo, _ = scaffolded
    unfilled = contract(repo)
    assert unfilled.returncode == 1, unfilled.stdout
    assert "still to fill after `trackerlake new-tracker`:" in unfilled.stdout
    assert "connectors/toy/connector.py:21: the work items list" in unfilled.stdout
    assert "models/staging/toy/work_items.sql:60: map raw.toy_issues records" in unfilled.stdout

    fill(repo)
    docs = run(repo, "-m", "pipelines.docs")
    assert docs.returncode == 0, docs.stderr
    assert "### `staging.toy__item_events`" in (repo / "docs" / "warehouse.md").read_text(encoding="utf-8")
    filled = contract(repo)
    assert filled.returncode == 0, filled.stdout[-3000:]
    for test in (
        "tests/toy/test_toy_contract.py::test_toy_meets_the_contract",
        "tests/test_tracker_contract.py::test_tracker_fills_the_marts_and_passes_every_check[toy]",
        "tests/toy/test_toy_contract.py::test_committed_warehouse_doc_matches_a_rebuilt_warehouse",
    ):
        assert f"PASSED {test}" in filled.stdout, filled.stdout[-3000:]
