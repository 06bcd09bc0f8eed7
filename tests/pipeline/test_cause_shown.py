"""A failed step shows its real cause on one line, and the CLI says whether a previous warehouse
is still there (issue 11, finding 10). The publish fails as it does on a read-only volume: the
warehouse's directory is bind-mounted read-only in a mount namespace of the run's own."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from emulators.generator import DEMO_AS_OF
from emulators.org import Org
from emulators.server import EmulatorServer
from pipelines.demo import emulator_config, write_config
from tests.pipeline.installed_cli import empty_dir, trackerlake

# `sh -c SCRIPT DIR CLI ARGS...`: mount DIR read-only for this process tree only, then run the CLI.
READ_ONLY = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" "$0" && exec "$@"'


def user_namespaces() -> bool:
    return subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode == 0


@pytest.mark.skipif(not user_namespaces(), reason="needs unprivileged user and mount namespaces")
def test_a_read_only_warehouse_directory_is_named_as_the_cause(
    emulated: tuple[Org, EmulatorServer], tmp_path: Path
) -> None:
    org, server = emulated
    published = tmp_path / "published"
    published.mkdir()
    warehouse = published / "trackerlake.duckdb"
    raw = emulator_config(org, server.url, warehouse, tmp_path / "work")
    config = write_config(tmp_path / "etc" / "trackerlake.yaml", raw)
    cwd = empty_dir(tmp_path)
    run = ("run", "--config", str(config), "--as-of", DEMO_AS_OF.isoformat())
    read_only = ("unshare", "-rm", "sh", "-c", READ_ONLY, str(published))

    first = trackerlake(*run, cwd=cwd, prefix=read_only)
    assert first.returncode == 1, first.output[-3000:]
    assert not warehouse.exists()
    assert failures(first.output) == ["FAILED published/warehouse"]
    assert "Read-only file system" in failed_line(first.output)
    assert f"Warehouse NOT published; no warehouse was published yet at {warehouse}." in first.stdout

    assert trackerlake(*run, cwd=cwd).returncode == 0
    yesterday = warehouse.stat().st_mtime_ns

    again = trackerlake(*run, cwd=cwd, prefix=read_only)
    assert again.returncode == 1 and "Read-only file system" in failed_line(again.output)
    assert f"Warehouse NOT published; the previous file at {warehouse} is unchanged." in again.stdout
    assert warehouse.stat().st_mtime_ns == yesterday
    assert "Traceback" not in first.output + again.output


def failures(output: str) -> list[str]:
    """What each FAILED line names (before its cause)."""
    return [line.partition(":")[0] for line in output.splitlines() if line.startswith("FAILED")]


def failed_line(output: str) -> str:
    [line] = [line for line in output.splitlines() if line.startswith("FAILED")]
    return line
