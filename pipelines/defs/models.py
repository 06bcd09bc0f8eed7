"""One asset per model under models/ (staging per tracker, the tracker unions, marts), all built by one step.

Dependencies come from the tables each SQL file reads; a `raw.<type>_<stream>` input becomes a
dependency on the ingest asset of every source of that type.
"""

from collections.abc import Iterator

import dagster as dg
import duckdb

from pipelines import models, warehouse
from pipelines.config import Config
from pipelines.defs.ingest import ingest_key
from pipelines.defs.resources import TrackerlakeSettings, WorkDatabase

# The builds read the raw JSON and join history: DuckDB's cache would grow toward the connection's
# 2 GB and stay there for the rest of the run. Capped, a build spills what does not fit to disk
# (1M work items build in 37 s rather than 29 s). Parsing large JSON records cannot spill: DuckDB
# parses 2,048 records at a time, 16 MiB a vector of pull requests, so a build that runs out of
# memory under a cap is built again under the next, and last with the connection's whole limit.
# DuckDB's cache fills to whatever cap a build runs under: at 100k issues all but four models
# (GitHub's events and pull requests, Jira's changelog items, milestone membership) fit in 128 MB,
# and fail in it within 0.2 s; the step's peak fell by ~16 MiB, the 1M rebuild took 42-47 s, not 36-41.
MODEL_MEMORY_CAPS = ("128MB", "192MB", "320MB")


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
    """Build `model` under the first of MODEL_MEMORY_CAPS it fits in, uncapped if none."""
    models.set_params(con, params)
    for cap in MODEL_MEMORY_CAPS:
        try:
            with warehouse.settings(con, {"memory_limit": cap}):
                return models.build(con, model, params)
        except duckdb.OutOfMemoryException:
            continue  # its transaction was rolled back: start again with more
    return models.build(con, model, params)


class ModelsFailed(Exception):
    """Models that failed to build; the models below them were not built either."""


def models_asset(config: Config) -> dg.AssetsDefinition:
    """Every model as an asset of one step: a step costs Dagster ~15 ms in-process and a process
    of its own under the multiprocess executor, and 50 models run one after the other on the one
    working database anyway. Each model is still an asset of the catalog with its own deps and
    materialization; a run that selects some models (a source's downstream) builds only those.

    A model that fails does not stop the others: those that do not read it are built, those that
    do are not, and the step fails at the end naming each (so publish does not run).
    """
    discovered = models.discover()
    built = {model.name for model in discovered}
    specs = [
        dg.AssetSpec(
            key=model_key(model.name),
            deps=_deps(model, config, built),
            group_name=model.schema,
            kinds={"duckdb", "python" if model.kind == "python" else "sql"},
            description=model.description or None,
            metadata={"dagster/column_schema": column_schema(model)},
            skippable=True,  # not materialized when a model it reads failed
        )
        for model in discovered
    ]

    @dg.multi_asset(name="models", specs=specs, can_subset=True)
    def _models(
        context: dg.AssetExecutionContext, settings: TrackerlakeSettings, duckdb: WorkDatabase
    ) -> Iterator[dg.MaterializeResult]:
        params = models.ModelParams.from_config(settings.load(), settings.as_of_time())
        selected = context.selected_asset_keys
        failed: dict[str, str] = {}  # model -> its own error
        unbuilt: set[str] = set()  # models not built because one they read failed or was not built
        with duckdb.get_connection() as con:
            log = models.BuildLog(con)
            for model in discovered:
                if model_key(model.name) not in selected:
                    continue
                if not model.deps.isdisjoint(unbuilt.union(failed)):
                    unbuilt.add(model.name)
                    continue
                try:
                    rows, kept = _build_or_keep(con, model, params, built, log)
                except Exception as exc:  # the others still build; the step fails below
                    cause = str(exc).strip().splitlines() or [""]  # DuckDB's errors run on with the SQL
                    failed[model.name] = f"{type(exc).__name__}: {cause[0]}"
                    context.log.error(f"model {model.name} failed: {failed[model.name]}")
                    continue
                yield dg.MaterializeResult(
                    asset_key=model_key(model.name),
                    metadata={"dagster/row_count": rows, "as_of": params.as_of.isoformat(), "kept": kept},
                )
        if failed:
            raise ModelsFailed(
                "\n".join(f"{model_key(name).to_user_string()}: {why}" for name, why in failed.items())
            )

    return _models


def _build_or_keep(
    con: duckdb.DuckDBPyConnection,
    model: models.Model,
    params: models.ModelParams,
    built: set[str],
    log: models.BuildLog,
) -> tuple[int, bool]:
    """Build `model` unless it was built already from these very inputs (no source changed, same
    as_of and settings): that table is what a build would give, so it is kept. (rows, kept)."""
    digest = log.inputs_digest(con, model, params, built)
    rows = log.built_rows(model, digest)
    if rows is not None:
        return rows, True
    rows = build_capped(con, model, params)
    log.record(con, model, digest, rows)
    return rows, False
