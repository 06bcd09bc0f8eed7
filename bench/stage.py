"""Run one bench stage in a process of its own, so its wall time and peak RSS are its alone.

    result = run_stage("sync", {"config": "..."}, work_dir)   # in the bench
    python -m bench.stage sync ARGS.json RESULT.json [PROFILE.txt]

A stage is a function taking keyword arguments (JSON) and returning a JSON-able dict; the child adds
`wall_seconds` (the call, imports excluded) and `peak_rss_bytes` (the process's ru_maxrss); the
stage's own `seconds` time only what it measures (a sync without opening the database, say). With a
profile path the call runs under cProfile and the top functions by cumulative time are written there.
"""

from __future__ import annotations

import cProfile
import importlib
import io
import json
import pstats
import resource
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
    child = subprocess.Popen([*command, *([str(profile)] if profile else [])], cwd=ROOT)
    try:
        code = child.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        peak = peak_rss(child.pid)
        child.kill()
        child.wait()
        return {"timed_out": True, "seconds": timeout, "wall_seconds": timeout, "peak_rss_bytes": peak}
    if code != 0:
        raise RuntimeError(f"bench stage {name} exited with {code}")
    return json.loads(result_path.read_text(encoding="utf-8"))


def peak_rss(pid: int) -> int:
    """A running process's peak RSS so far (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def _load(name: str) -> Callable[..., dict[str, Any]]:
    module, _, function = STAGES[name].partition(":")
    return getattr(importlib.import_module(module), function)


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
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(25)  # where the time is spent, not only under what
        Path(profile[0]).write_text(text.getvalue(), encoding="utf-8")
    cpu = usage.ru_utime + usage.ru_stime  # imports included: a floor for the stage's own
    payload = {"wall_seconds": wall, "peak_rss_bytes": peak, "cpu_seconds": cpu, **result}
    Path(result_path).write_text(json.dumps(payload, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
