"""The pipeline's sync, as the bench measures it: `pipelines.ingest.sync_source` for every source.

This is the ingest half of `trackerlake run` without Dagster's orchestration around it (the models
are measured on their own, on 1M work items): each source synced into its own landing file as the
run's ingest step does (pipelines/landing.py), one after the other as the in-process run does.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from pipelines import config as config_module
from pipelines.ingest import sync_source
from pipelines.landing import SourceFiles


def run(config: str) -> dict[str, Any]:
    """Sync every source of the config at `config`; `seconds` is the sync_source calls' time."""
    loaded = config_module.load(config)
    run_id = uuid.uuid4().hex
    sources: dict[str, dict[str, Any]] = {}
    landings = SourceFiles(loaded.landing_directory, loaded.work_database)
    for source in loaded.sources:
        with landings.writer(source.name) as con:
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
