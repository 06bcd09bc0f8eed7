"""The commands a user types: `trackerlake demo` end to end, and Dagster loading the workspace,
each from a directory that is not the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

from connectors import TRACKERS
from tests.pipeline.installed_cli import empty_dir, trackerlake

ROOT = Path(__file__).resolve().parents[2]


def test_demo_end_to_end(tmp_path: Path) -> None:
    cwd = empty_dir(tmp_path)
    ended = trackerlake("demo", "--warehouse", "out/demo.duckdb", "--scale", "0.3", cwd=cwd)
    assert ended.returncode == 0, ended.output[-3000:]
    out = ended.stdout
    assert "Milestones needing attention" in out and "slipping" in out and "overdue" in out
    warehouse = cwd / "out" / "demo.duckdb"  # a relative --warehouse is relative to where it ran
    assert f"Warehouse published: {warehouse}" in out
    with duckdb.connect(str(warehouse), read_only=True) as con:
        statuses = {r[0] for r in con.execute("SELECT status FROM marts.project_completion").fetchall()}
        kinds = {r[0] for r in con.execute("SELECT kind FROM marts.project_completion").fetchall()}
        comment = con.execute(
            "SELECT comment FROM duckdb_tables() WHERE schema_name = 'marts' AND table_name = 'project_completion'"
        ).fetchone()[0]
    assert {"on_track", "overdue", "done_on_time", "done_late"} <= statuses
    # every kind of every registered tracker: the demo serves each tracker with milestones of each kind
    assert kinds == {kind for tracker in TRACKERS.values() for kind in tracker.milestone_kinds}
    assert comment  # descriptions travel with the published file


def test_dagster_validates_the_workspace(tmp_path: Path) -> None:
    dagster = Path(sys.executable).with_name("dagster")
    result = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", str(ROOT / "workspace.yaml")],
        cwd=empty_dir(tmp_path),
        env={**os.environ, "TRACKERLAKE_CONFIG": str(ROOT / "trackerlake.yaml")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "All code locations passed validation" in result.stderr + result.stdout


def test_emulate_writes_a_config_that_check_config_connects_to(tmp_path: Path) -> None:
    config = tmp_path / "trackerlake.yaml"
    cli = Path(sys.executable).with_name("trackerlake")
    server = subprocess.Popen(
        [str(cli), "emulate", "--port", "0", "--scale", "0.2", "--write-config", str(config)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        for line in server.stdout:  # the config is written before the "Emulators on" line
            if line.startswith("Emulators on"):
                break
        env = {**os.environ, "TRACKERLAKE_EMULATOR_TOKEN": "t", "TRACKERLAKE_EMULATOR_EMAIL": "e@x"}
        ok = subprocess.run(
            [str(cli), "check-config", "--config", str(config), "--connect"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert "demo-github: answers" in ok.stdout and "demo-jira: answers" in ok.stdout
        missing = {k: v for k, v in env.items() if k != "TRACKERLAKE_EMULATOR_TOKEN"}
        refused = subprocess.run(
            [str(cli), "check-config", "--config", str(config)], capture_output=True, text=True, env=missing
        )
        assert refused.returncode == 2 and "TRACKERLAKE_EMULATOR_TOKEN is not set" in refused.stderr
    finally:
        server.terminate()
        server.wait(timeout=10)
