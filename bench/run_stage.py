"""The whole nightly run as a user runs it: `trackerlake run` (sync, models, checks, publish, report).

The CLI's `main` is called in the stage's own process and its imports are timed with it, as a user
waits for them too (a venv without compiled bytecode shows here). What it prints goes to a file
beside the run's work files, not into the bench's output.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any


def run(config: str, as_of: str, out: str) -> dict[str, Any]:
    """`trackerlake run --config CONFIG --as-of AS_OF`; `seconds` from before its imports to its exit."""
    started = time.perf_counter()
    from pipelines import config as config_module  # imported here: their time is part of the run
    from pipelines.cli import main

    with open(out, "w", encoding="utf-8") as printed, contextlib.redirect_stdout(printed):
        code = main(["run", "--config", config, "--as-of", as_of])
    seconds = time.perf_counter() - started
    loaded = config_module.load(config, check_env=False)
    return {
        "seconds": seconds,
        "exit_code": code,
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
