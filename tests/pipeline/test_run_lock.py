"""One run at a time per warehouse (issue 11, finding 6): a second run exits 4 at once naming the
holder, and a killed run's lock is taken over by the next."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from emulators.generator import DEMO_AS_OF
from emulators.org import Org
from emulators.server import EmulatorServer
from pipelines import config as config_module
from pipelines.demo import emulator_config, write_config
from pipelines.run import execute
from pipelines.runlock import lock_path
from tests.pipeline.installed_cli import CLI, empty_dir, trackerlake

AS_OF = DEMO_AS_OF.isoformat()


def wait_for_holder(lock: Path, pid: int, timeout: float = 60) -> str:
    """The lock file's text once it names `pid` (the run got past its start)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = lock.read_text() if lock.exists() else ""
        if f'"pid": {pid}' in text:
            return text
        time.sleep(0.1)
    raise AssertionError(f"no run took {lock} within {timeout}s")


def test_a_second_run_exits_4_and_a_killed_runs_lock_is_taken_over(
    emulated: tuple[Org, EmulatorServer], tmp_path: Path
) -> None:
    org, server = emulated
    # GitHub "answers" from a socket that accepts connections and never replies: the first run
    # stays in its sync (read timeout 60 s, no retry) while the second one starts.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    raw = emulator_config(org, server.url, tmp_path / "published" / "tl.duckdb", tmp_path / "work")
    github = next(source for source in raw["sources"] if source["type"] == "github")
    github.update(
        base_url=f"http://127.0.0.1:{silent.getsockname()[1]}/github", timeout_seconds=60, max_retries=0
    )
    config = write_config(tmp_path / "etc" / "trackerlake.yaml", raw)
    lock = lock_path(tmp_path / "work" / "tl.work.duckdb")
    cwd = empty_dir(tmp_path)
    first = subprocess.Popen(
        [str(CLI), "run", "--config", str(config), "--as-of", AS_OF],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_holder(lock, first.pid)
        second = trackerlake("run", "--config", str(config), "--as-of", AS_OF, cwd=cwd, timeout=60)
        assert first.poll() is None  # still holding it
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        silent.close()  # from now on GitHub refuses connections: the next run fails it fast

    assert second.returncode == 4, second.output
    [line] = second.stderr.splitlines()
    found = re.fullmatch(
        rf"trackerlake: another run is in progress on this warehouse \(PID {first.pid}, started (\S+); lock {re.escape(str(lock))}\)",
        line,
    )
    assert found, line
    assert abs(datetime.fromisoformat(found[1]) - datetime.now(UTC)) < timedelta(minutes=5)
    # At once: without waiting for the holder (stuck 60 s), on a machine that may be busy.
    assert second.seconds < 15 and "Warehouse" not in second.stdout, second.seconds

    # The killed run's lock: the kernel released it, its text still names the dead run.
    assert f'"pid": {first.pid}' in lock.read_text()
    third = trackerlake("run", "--config", str(config), "--as-of", AS_OF, cwd=cwd, timeout=120)
    assert third.returncode == 1, third.output  # GitHub failed alone, Jira published
    assert (
        f"Took over the lock of a run that did not finish (PID {first.pid}, started {found[1]})."
        in third.stdout
    )
    assert "Warehouse published" in third.stdout
    assert lock.read_text() == ""  # a run that ended names no holder
    assert not os.path.exists(f"/proc/{first.pid}") or first.returncode == -signal.SIGKILL


def test_a_run_dagster_launches_takes_the_same_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs started from the Dagster UI or its schedule go through the same resource: while
    another process holds the lock, one fails before any step, naming the holder."""
    monkeypatch.setenv("GH_TOKEN", "t")
    raw = {
        "warehouse": str(tmp_path / "tl.duckdb"),
        "sources": [
            {
                "name": "gh",
                "type": "github",
                "base_url": "http://127.0.0.1:9",
                "token_env": "GH_TOKEN",
                "repos": ["a/b"],
                "max_retries": 0,
            }
        ],
    }
    path = write_config(tmp_path / "trackerlake.yaml", raw)
    config = config_module.load(path)
    holding = (
        "from pathlib import Path\nfrom pipelines.runlock import hold\n"
        f"with hold(Path({str(config.work_database)!r})): input()"
    )
    holder = subprocess.Popen([sys.executable, "-c", holding], stdin=subprocess.PIPE, text=True)
    try:
        wait_for_holder(lock_path(config.work_database), holder.pid)
        outcome = execute(config, path, DEMO_AS_OF)
    finally:
        holder.communicate("\n", timeout=30)  # it lets go
    assert not outcome.success and not outcome.published
    [failure] = outcome.failures
    assert failure.startswith(
        f"run: pipelines.runlock.RunLocked: another run is in progress on this warehouse (PID {holder.pid}, "
    )
    assert execute(config, path, DEMO_AS_OF).failures[0].startswith("source gh: ")  # free again: it ran
