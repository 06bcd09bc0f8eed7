"""One asset per model under models/ (staging per tracker, the tracker unions, marts).

Dependencies come from the tables each SQL file reads; a `raw.<type>_<stream>` input becomes a
dependency on the ingest asset of every source of that type.
"""

import dagster as dg
import duckdb

from pipelines import models, warehouse
from pipelines.config import Config
from pipelines.defs.ingest import ingest_key
from pipelines.defs.resources import TrackerlakeSettings, WorkDatabase

# The builds read the raw JSON and join history: DuckDB's cache would grow toward the connection's
# 2 GB and stay there for the rest of the run. Capped, a build spills what does not fit to disk
# (1M work items build in 37 s rather than 29 s). Parsing large JSON records cannot spill: a build
# that runs out of memory under the cap is built again with the connection's whole limit.
MODEL_DUCKDB = {"memory_limit": "320MB"}


def model_key(name: str) -> dg.AssetKey:
    return dg.AssetKey(name.split("."))


def column_schema(model: models.Model) -> dg.TableSchema:
    """The catalog's columns and their meanings, from the model's `-- columns:` header.

    The header gives no types (DuckDB infers them when the table is built): docs/warehouse.md has them.
    """
    return dg.TableSchema(
        columns=[dg.TableColumn(name, type="", description=text) for name, text in model.columns.items()]
    )


def _deps(model: models.Model, config: Config, built: set[str]) -> list[dg.AssetKey]:
    """Upstream assets: other models, and for raw tables the ingest assets of that tracker type."""
    keys: set[dg.AssetKey] = set()
    for dep in model.deps:
        schema, _, table = dep.partition(".")
        if schema == "raw":
            keys |= {ingest_key(s.name) for s in config.sources if table.startswith(f"{s.type}_")}
        elif dep in built:
            keys.add(model_key(dep))
    return sorted(keys, key=lambda k: k.to_user_string())


def build_capped(con: duckdb.DuckDBPyConnection, model: models.Model, params: models.ModelParams) -> int:
    """Build `model` with DuckDB's memory capped (MODEL_DUCKDB), uncapped if it runs out under it."""
    models.set_params(con, params)
    try:
        with warehouse.settings(con, MODEL_DUCKDB):
            return models.build(con, model, params)
    except duckdb.OutOfMemoryException:
        return models.build(con, model, params)  # its transaction was rolled back: start again


def model_asset(model: models.Model, config: Config, built: set[str]) -> dg.AssetsDefinition:
    kind = "python" if model.kind == "python" else "sql"

    @dg.asset(
        key=model_key(model.name),
        deps=_deps(model, config, built),
        group_name=model.schema,
        kinds={"duckdb", kind},
        description=model.description or None,
        metadata={"dagster/column_schema": column_schema(model)},
    )
    def _build(settings: TrackerlakeSettings, duckdb: WorkDatabase) -> dg.MaterializeResult:
        params = models.ModelParams.from_config(settings.load(), settings.as_of_time())
        with duckdb.get_connection() as con:
            # Built already from these very inputs (no source changed, same as_of and settings):
            # the table is what a build would give, so it is kept.
            digest = models.inputs_digest(con, model, params, built)
            rows = models.built_rows(con, model, digest)
            kept = rows is not None
            if rows is None:
                rows = build_capped(con, model, params)
                models.record_build(con, model, digest, rows)
        return dg.MaterializeResult(
            metadata={"dagster/row_count": rows, "as_of": params.as_of.isoformat(), "kept": kept}
        )

    return _build


def model_assets(config: Config) -> list[dg.AssetsDefinition]:
    discovered = models.discover()
    built = {model.name for model in discovered}
    return [model_asset(model, config, built) for model in discovered]
