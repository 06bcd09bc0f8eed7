"""The commands a user types: `trackerlake demo` end to end, and Dagster loading the workspace."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_demo_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    warehouse = tmp_path / "out" / "demo.duckdb"
    assert main(["demo", "--warehouse", str(warehouse), "--scale", "0.3"]) == 0
    out = capsys.readouterr().out
    assert "Milestones needing attention" in out and "slipping" in out and "overdue" in out
    assert f"Warehouse published: {warehouse}" in out
    with duckdb.connect(str(warehouse), read_only=True) as con:
        statuses = {r[0] for r in con.execute("SELECT status FROM marts.project_completion").fetchall()}
        kinds = {r[0] for r in con.execute("SELECT kind FROM marts.project_completion").fetchall()}
        comment = con.execute(
            "SELECT comment FROM duckdb_tables() WHERE schema_name = 'marts' AND table_name = 'project_completion'"
        ).fetchone()[0]
    assert {"on_track", "overdue", "done_on_time", "done_late"} <= statuses
    assert kinds == {"github_milestone", "jira_version", "jira_sprint"}
    assert comment  # descriptions travel with the published file


def test_dagster_validates_the_workspace() -> None:
    dagster = Path(sys.executable).with_name("dagster")
    result = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "All code locations passed validation" in result.stderr + result.stdout
