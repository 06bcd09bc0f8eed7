"""One ingest asset per configured source: raw API records into the source's own landing.

A step writes only its source's landing (raw tables, cursors, run log: pipelines/landing.py), so
sync steps run at the same time in processes of their own, and never touch the working database.

A source whose sync fails on the tracker's side (the HTTP client's bounded retries spent, an
answer that makes no sense, a bug in its connector: `sync_source` turns each into a
`ConnectorError`) does not fail its step. Every page it committed stays, its cursor stays at the
last committed page, ops.sync_runs records the error, and the asset's `synced` check fails with
that one-line message. The models then build from what each source last committed, so the other
sources' news reaches the warehouse, and the run exits 1 naming the failed source. The step is
never retried: the client already retried each request, and a second attempt would only double
the wait and the ops.sync_runs rows. Only the writer's side failing (DuckDB, a full disk) fails
the step, and then nothing downstream of it runs.
"""

import dagster as dg

from connectors import TRACKERS
from connectors.http import ConnectorError
from connectors.source_config import SourceBase
from pipelines import ingest, warehouse
from pipelines.config import Config
from pipelines.defs.resources import Landings, TrackerlakeSettings

SYNCED = "synced"


def ingest_key(source_name: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", source_name])


def _describe(source: SourceBase) -> str:
    scopes = getattr(source, TRACKERS[source.type].scope_key)
    return (
        f"Raw {source.type} records of source `{source.name}` ({', '.join(scopes)}), landed as the API "
        "returned them and upserted by id. Incremental: each stream resumes from its committed cursor."
    )


def ingest_asset(source: SourceBase) -> dg.AssetsDefinition:
    synced = dg.AssetCheckSpec(
        SYNCED,
        asset=ingest_key(source.name),
        description=(
            "This run's sync of the source finished. When it fails, the raw data is as of the last "
            "committed page and the error says why."
        ),
    )

    @dg.asset(
        key=ingest_key(source.name),
        group_name="ingest",
        kinds={source.type, "duckdb"},
        description=_describe(source),
        check_specs=[synced],
    )
    def _ingest(
        context: dg.AssetExecutionContext, settings: TrackerlakeSettings, landings: Landings
    ) -> dg.MaterializeResult:
        current = settings.load().source(source.name)
        with landings.writer(source.name) as con:
            try:
                result = ingest.sync_source(con, current, context.run_id)
                counts = {
                    "deleted": result.deleted,
                    **{f"records/{stream}": n for stream, n in result.records.items()},
                    **{f"changed/{stream}": n for stream, n in result.changed.items()},
                }
            except ConnectorError:
                counts = {}  # the error is in ops.sync_runs, read below
            run = warehouse.run_record(con, context.run_id, source.name)
        error = run.get("error")
        if error:
            context.log.error(
                f"source {source.name} failed; its data stays as of its last committed page: {error}"
            )
        check = dg.AssetCheckResult(
            check_name=SYNCED,
            passed=error is None,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"error": error or ""},
        )
        return dg.MaterializeResult(
            metadata={
                "status": run.get("status", "failed"),
                "requests": run.get("requests") or 0,
                "records": run.get("records") or 0,
                **counts,
            },
            check_results=[check],
        )

    return _ingest


def ingest_assets(config: Config) -> list[dg.AssetsDefinition]:
    return [ingest_asset(source) for source in config.sources]
