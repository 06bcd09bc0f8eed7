"""Every command works from any directory, and only the commands that run the pipeline import
Dagster (issue 11, finding 1): the config a run uses is the one it is given, never the cwd's."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from emulators.generator import DEMO_AS_OF
from emulators.org import Org
from emulators.server import EmulatorServer
from pipelines.demo import emulator_config, write_config
from tests.pipeline.installed_cli import empty_dir, trackerlake

# `python -X importtime` as an environment variable, so that the installed script reports too.
IMPORT_TIMES = {"PYTHONPROFILEIMPORTTIME": "1"}
DAGSTER_IMPORT = re.compile(r"^import time:.*\|\s*dagster\b", re.MULTILINE)


def config_elsewhere(tmp_path: Path, url: str, org: Org | None = None) -> Path:
    """A config in its own directory whose warehouse path is relative (to the config file)."""
    raw = emulator_config(org, url, Path("data/trackerlake.duckdb")) if org else None
    if raw is None:
        raw = {
            "warehouse": "data/trackerlake.duckdb",
            "sources": [
                {"name": "gh", "type": "github", "base_url": url, "token_env": "GH_TOKEN", "repos": ["a/b"]}
            ],
        }
    return write_config(tmp_path / "etc" / "trackerlake.yaml", raw)


@pytest.mark.parametrize("command", [["--help"], ["check-config", "--config", "{config}"]])
def test_help_and_check_config_do_not_import_dagster(command: list[str], tmp_path: Path) -> None:
    config = config_elsewhere(tmp_path, "http://127.0.0.1:9/api")
    args = [arg.format(config=config) for arg in command]
    ended = trackerlake(*args, cwd=empty_dir(tmp_path), env={**IMPORT_TIMES, "GH_TOKEN": "t"})
    assert ended.returncode == 0, ended.stderr[-2000:]
    assert "import time:" in ended.stderr  # the measure works
    assert DAGSTER_IMPORT.findall(ended.stderr) == []


def test_run_with_a_config_elsewhere(emulated: tuple[Org, EmulatorServer], tmp_path: Path) -> None:
    org, server = emulated
    config = config_elsewhere(tmp_path, server.url, org)
    cwd, temp = empty_dir(tmp_path), tmp_path / "temp"
    temp.mkdir()
    ended = trackerlake(
        "run", "--config", str(config), "--as-of", DEMO_AS_OF.isoformat(), cwd=cwd, env={"TMPDIR": str(temp)}
    )
    warehouse = config.parent / "data" / "trackerlake.duckdb"
    assert ended.returncode == 0, ended.output[-3000:]
    assert f"Warehouse published: {warehouse}" in ended.stdout
    assert warehouse.exists() and list(cwd.iterdir()) == []  # nothing written where it ran
    # It ends without the interpreter's teardown (cli.entry): what that would have cleaned up was
    # cleaned up, and nothing is reported at exit (DuckDB's bindings report objects left uncollected).
    assert list(temp.iterdir()) == [] and ended.stderr == ""


def test_importing_the_dagster_entry_point_builds_nothing(tmp_path: Path) -> None:
    """No config here: the import succeeds, and only loading the definitions looks for one."""
    probe = (
        "import pipelines.definitions as d\n"
        "try:\n    d.defs()\nexcept Exception as exc:\n    print(type(exc).__name__, exc)\n"
    )
    cwd = empty_dir(tmp_path)
    done = subprocess.run([sys.executable, "-c", probe], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == f"ConfigError {cwd / 'trackerlake.yaml'}: config file not found"
