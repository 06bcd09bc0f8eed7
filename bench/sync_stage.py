"""The pipeline's sync, as the bench measures it: `pipelines.ingest.sync_source` for every source.

This is the ingest half of `trackerlake run` without Dagster's orchestration around it (the models
are measured on their own, on 1M work items): the working DuckDB file opened through the
pipeline's resource, the sources synced one after the other as the in-process run does.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from bench.work_database import pipeline_connection
from pipelines import config as config_module
from pipelines.ingest import sync_source


def run(config: str) -> dict[str, Any]:
    """Sync every source of the config at `config`; `seconds` is the sync_source calls' time."""
    loaded = config_module.load(config)
    run_id = uuid.uuid4().hex
    sources: dict[str, dict[str, Any]] = {}
    with pipeline_connection(config) as con:
        for source in loaded.sources:
            started = time.perf_counter()
            result = sync_source(con, source, run_id)
            sources[source.name] = {
                "seconds": time.perf_counter() - started,
                "requests": result.requests,
                "records": result.total_records,
            }
    return {
        "seconds": sum(s["seconds"] for s in sources.values()),
        "records": sum(s["records"] for s in sources.values()),
        "sources": sources,
    }
