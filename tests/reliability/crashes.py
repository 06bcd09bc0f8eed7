"""Running `trackerlake run` in a subprocess and SIGKILLing it at a kill point (see killpoints.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.reliability.lab import Lab

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class KillPoint:
    target: str  # see killpoints.TARGETS
    nth: int
    when: str  # before, after, during
    delay: float = 0.0  # seconds between reaching a `during` point and the kill

    def __str__(self) -> str:
        return f"{self.target}#{self.nth} {self.when}" + (
            f" +{self.delay * 1000:.0f}ms" if self.delay else ""
        )


@dataclass
class Ended:
    killed: bool
    returncode: int
    stdout: str
    stderr: str


def run_subprocess(
    lab: Lab, point: KillPoint | None, env: dict[str, str] | None = None, timeout: float = 300
) -> Ended:
    """`trackerlake run` against the lab in a child process; killed at `point` once it gets there."""
    marker = lab.tmp_path / f"killpoint-{lab.runs}"
    marker.unlink(missing_ok=True)
    command = ["run", "--config", str(lab.config_path), "--as-of", lab.as_of().isoformat()]
    if point is None:
        argv = [str(Path(sys.executable).with_name("trackerlake")), *command]
    else:
        hook = [point.target, str(point.nth), point.when, str(marker), "--"]
        argv = [sys.executable, "-m", "tests.reliability.killpoints", *hook, *command]
    lab.runs += 1
    out, err = lab.tmp_path / f"run-{lab.runs}.out", lab.tmp_path / f"run-{lab.runs}.err"
    with out.open("w") as stdout, err.open("w") as stderr:
        child = subprocess.Popen(argv, cwd=ROOT, env=env or dict(os.environ), stdout=stdout, stderr=stderr)
        killed = False
        deadline = time.monotonic() + timeout
        while child.poll() is None:
            if marker.exists():
                time.sleep(point.delay)
                child.send_signal(signal.SIGKILL)
                killed = True
                break
            if time.monotonic() > deadline:
                child.kill()
                raise TimeoutError(f"trackerlake run did not end within {timeout}s")
            time.sleep(0.005)
        child.wait()
    return Ended(killed, child.returncode, out.read_text(), err.read_text())
