"""The working database opened as `trackerlake run` opens it: through the pipeline's own resource.

So the bench measures whatever connection settings the pipeline gives DuckDB (memory limit,
threads, checkpointing), not settings of its own.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path

import duckdb

from pipelines import config as config_module
from pipelines.definitions import build_pipeline


def pipeline_connection(
    config: str, database: str | None = None
) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
    """A connection to the config's working database (or to `database`, with the same settings)."""
    loaded = config_module.load(config, check_env=False)
    resource = build_pipeline(loaded, Path(config), None).resources["duckdb"]
    if database is not None:
        resource = type(resource)(database=database, connection_config=resource.connection_config)
    Path(resource.database).parent.mkdir(parents=True, exist_ok=True)
    return resource.get_connection()
