"""One ingest asset per configured source: raw API records into the working database."""

import dagster as dg

from pipelines import ingest
from pipelines.config import Config, GitHubSource, JiraSource
from pipelines.defs.resources import TrackerlakeSettings, WorkDatabase

INGEST_RETRY = dg.RetryPolicy(
    max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)


def ingest_key(source_name: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", source_name])


def _describe(source: GitHubSource | JiraSource) -> str:
    scopes = source.repos if isinstance(source, GitHubSource) else source.projects
    return (
        f"Raw {source.type} records of source `{source.name}` ({', '.join(scopes)}), landed as the API "
        "returned them and upserted by id. Incremental: each stream resumes from its committed cursor."
    )


def ingest_asset(source: GitHubSource | JiraSource) -> dg.AssetsDefinition:
    @dg.asset(
        key=ingest_key(source.name),
        group_name="ingest",
        kinds={source.type, "duckdb"},
        description=_describe(source),
        retry_policy=INGEST_RETRY,
    )
    def _ingest(
        context: dg.AssetExecutionContext, settings: TrackerlakeSettings, duckdb: WorkDatabase
    ) -> dg.MaterializeResult:
        current = settings.load().source(source.name)
        with duckdb.get_connection() as con:
            result = ingest.sync_source(con, current, context.run_id)
        return dg.MaterializeResult(
            metadata={
                "requests": result.requests,
                "records": result.total_records,
                "deleted": result.deleted,
                **{f"records/{stream}": n for stream, n in result.records.items()},
                **{f"changed/{stream}": n for stream, n in result.changed.items()},
            }
        )

    return _ingest


def ingest_assets(config: Config) -> list[dg.AssetsDefinition]:
    return [ingest_asset(source) for source in config.sources]
