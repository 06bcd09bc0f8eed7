"""The `trackerlake` command as an operator runs it: the installed script, in a process of its own,
from a directory that holds nothing of the project (so nothing can lean on the checkout)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.reliability import tally

CLI = Path(sys.executable).with_name("trackerlake")


@dataclass(frozen=True)
class Ended:
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def empty_dir(tmp_path: Path) -> Path:
    """A fresh empty directory to run the CLI from."""
    path = tmp_path / "elsewhere"
    path.mkdir()
    return path


def trackerlake(
    *args: str,
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float = 180,
    prefix: Sequence[str] = (),
) -> Ended:
    """Run `trackerlake ARGS` in `cwd` (an empty directory) and wait for it; `prefix` wraps the command.

    A run still going after `timeout` seconds is killed and counted as a run that did not end.
    """
    assert not any(cwd.iterdir()), f"{cwd} is not empty"
    started = time.monotonic()
    try:
        done = subprocess.run(
            [*prefix, str(CLI), *args],
            cwd=cwd,
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        tally.add(runs_not_ended=1)
        raise
    return Ended(done.returncode, done.stdout, done.stderr, time.monotonic() - started)


def dead_port() -> int:
    """A loopback port nothing listens on: bound to find a free one, then closed (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
