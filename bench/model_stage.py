"""The model rebuild, as `trackerlake run` does it after ingest: `pipelines.models.build_all` with
each model under the run's memory caps (`build_capped`)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from bench.work_database import pipeline_connection
from pipelines import config as config_module
from pipelines.defs.models import build_capped
from pipelines.models import ModelParams, build_all


def run(database: str, config: str, as_of: str) -> dict[str, Any]:
    """Build every model in `database`, opened with the pipeline's settings and the config's parameters."""
    loaded = config_module.load(config, check_env=False)
    params = ModelParams.from_config(loaded, datetime.fromisoformat(as_of))
    with pipeline_connection(config, database) as con:
        con.execute("SET enable_progress_bar = false")
        threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
        started = time.perf_counter()
        counts = build_all(con, params, build_capped)  # as the run's model assets build
        seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "threads": threads,
        "records": counts.get("marts.work_items", 0),
        "tables": counts,
    }
