"""Run one bench stage in a process of its own, so its wall time and peak RSS are its alone.

    result = run_stage("sync", {"config": "..."}, work_dir)   # in the bench
    python -m bench.stage sync ARGS.json RESULT.json [PROFILE.txt]

A stage is a function taking keyword arguments (JSON) and returning a JSON-able dict; the child adds
`wall_seconds` (the call, imports excluded) and `peak_rss_bytes` (the process's ru_maxrss, unless
the stage reports its own: the whole run's is its command's); the stage's own `seconds` time only
what it measures (a sync without opening the database, say). With a
profile path the call runs under cProfile and the top functions by cumulative time are written there.
"""

from __future__ import annotations

import cProfile
import importlib
import io
import json
import os
import pstats
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent  # `-m bench...` needs the repo on the path
# Stage name -> "module:function"; imported in the child only, so the bench itself stays light.
STAGES = {
    "bare": "bench.bare_loop:run",
    "sync": "bench.sync_stage:run",
    "model-data": "bench.model_data:run",
    "models": "bench.model_stage:run",
    "run": "bench.run_stage:run",
    "landing": "bench.landing_stage:run",
}


def run_stage(
    name: str, args: dict[str, Any], work_dir: Path, profile: Path | None = None, timeout: float | None = None
) -> dict[str, Any]:
    """Run stage `name` in a child process and return its result.

    A stage still running after `timeout` seconds is stopped: its result then says `timed_out`,
    with the timeout as its time and the peak RSS it had reached.
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    slug = name.replace(" ", "-")
    args_path, result_path = work_dir / f"{slug}.args.json", work_dir / f"{slug}.result.json"
    args_path.write_text(json.dumps(args), encoding="utf-8")
    result_path.unlink(missing_ok=True)
    command = [sys.executable, "-m", "bench.stage", name, str(args_path), str(result_path)]
    # A session of its own: a stage that runs the installed command is stopped with it.
    child = subprocess.Popen(
        [*command, *([str(profile)] if profile else [])], cwd=ROOT, start_new_session=True
    )
    try:
        code = child.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        peak = max(peak_rss(pid) for pid in [child.pid, *descendants(child.pid)])
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
        return {"timed_out": True, "seconds": timeout, "wall_seconds": timeout, "peak_rss_bytes": peak}
    if code != 0:
        raise RuntimeError(f"bench stage {name} exited with {code}")
    return json.loads(result_path.read_text(encoding="utf-8"))


def peak_rss(pid: int) -> int:
    """A running process's peak RSS so far (VmHWM), in bytes; 0 once it has ended."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines()
    except OSError:
        return 0
    for line in lines:
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def descendants(pid: int) -> list[int]:
    """Processes `pid` started, and theirs (a run's step processes come from a fork server), from
    any of their threads (a pool may start them from a thread of its own)."""
    children: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return []  # it ended
    for task in tasks:
        try:
            children += [int(child) for child in (task / "children").read_text(encoding="utf-8").split()]
        except OSError:
            continue  # the thread ended
    return children + [grandchild for child in children for grandchild in descendants(child)]


def _load(name: str) -> Callable[..., dict[str, Any]]:
    module, _, function = STAGES[name].partition(":")
    return getattr(importlib.import_module(module), function)


def write_profile(source: cProfile.Profile | str, path: Path) -> None:
    """A profile (a profiler, or a file cProfile wrote) as text: the 40 calls taking most time
    with what they call, and the 25 taking most in themselves (where the time goes, not under what)."""
    text = io.StringIO()
    stats = pstats.Stats(source, stream=text)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)
    path.write_text(text.getvalue(), encoding="utf-8")


def main(argv: list[str]) -> None:
    name, args_path, result_path, *profile = argv
    function = _load(name)
    args = json.loads(Path(args_path).read_text(encoding="utf-8"))
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    result = profiler.runcall(function, **args) if profiler else function(**args)
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak = usage.ru_maxrss * 1024  # Linux reports KiB
    if profiler:
        write_profile(profiler, Path(profile[0]))
    cpu = usage.ru_utime + usage.ru_stime  # imports included: a floor for the stage's own
    payload = {"wall_seconds": wall, "peak_rss_bytes": peak, "cpu_seconds": cpu, **result}
    Path(result_path).write_text(json.dumps(payload, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
