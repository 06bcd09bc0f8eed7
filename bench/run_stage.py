"""The whole nightly run as a user runs it: `trackerlake run` (sync, models, checks, publish, report).

The installed command runs in a process of its own and is timed from its start to its exit, as
cron waits for it: the interpreter's start, the imports (a venv without compiled bytecode shows
here) and its exit are part of it. What it prints goes to a file beside the run's work files.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.stage import write_profile
from pipelines import config as config_module


def run(config: str, as_of: str, out: str, profile: str | None = None) -> dict[str, Any]:
    """`trackerlake run --config CONFIG --as-of AS_OF`: its seconds, CPU seconds and peak RSS (its
    step processes' included); with `profile`, a cProfile of it written there as text."""
    arguments = ["run", "--config", config, "--as-of", as_of]
    command = [str(Path(sys.executable).with_name("trackerlake")), *arguments]
    if profile:
        command = [
            sys.executable,
            "-m",
            "cProfile",
            "-o",
            f"{profile}.pstats",
            "-m",
            "pipelines.cli",
            *arguments,
        ]
    started = time.perf_counter()
    with open(out, "w", encoding="utf-8") as printed:
        code = subprocess.run(command, stdout=printed, cwd=Path(out).parent, check=False).returncode
    seconds = time.perf_counter() - started
    if profile:
        write_profile(f"{profile}.pstats", Path(profile))
    # This stage's process runs nothing else: its children are the run and its step processes.
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    loaded = config_module.load(config, check_env=False)
    return {
        "seconds": seconds,
        "exit_code": code,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_rss_bytes": usage.ru_maxrss * 1024,  # Linux reports KiB
        "models_built": _models_built(loaded.work_database),
        "published_bytes": loaded.warehouse.stat().st_size if loaded.warehouse.exists() else 0,
        "work_bytes": loaded.work_database.stat().st_size,
    }


def _models_built(work_database: Path) -> int:
    """Models this run built rather than kept: built after its first sync started."""
    import duckdb

    with duckdb.connect(str(work_database), read_only=True) as con:
        return con.execute(
            """
            SELECT count(*) FROM internal.model_builds
            WHERE built_at > (SELECT min(started_at) FROM ops.sync_runs
                              WHERE run_id = (SELECT arg_max(run_id, started_at) FROM ops.sync_runs))
            """
        ).fetchone()[0]
