"""The published warehouse: the file BI tools open, replaced atomically once all checks pass."""

import dagster as dg

from pipelines import warehouse
from pipelines.defs.resources import TrackerlakeSettings, WorkDatabase

PUBLISHED = dg.AssetKey(["published", "warehouse"])


def publish_asset(upstream: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        key=PUBLISHED,
        deps=upstream,
        group_name="published",
        kinds={"duckdb"},
        description=(
            "The DuckDB file at `warehouse:` that BI tools open read-only: marts and ops as of this run "
            "(and the schemas listed in `publish.include`). Written beside the old one and renamed into "
            "place, so readers never see a half-built state; only the tables that changed are rewritten, "
            "and a file with nothing to change is left alone. Skipped (yesterday's file stays) when a "
            "blocking data-quality check fails."
        ),
    )
    def _publish(
        context: dg.AssetExecutionContext, settings: TrackerlakeSettings, duckdb: WorkDatabase
    ) -> dg.MaterializeResult:
        config = settings.load()
        with duckdb.get_connection() as con:
            done = warehouse.publish_changes(con, config.warehouse, config.publish.schemas)
        if done.unchanged:
            context.log.info(f"nothing changed since the last publish: {done.path} left as it was")
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(done.path)),
                "unchanged": done.unchanged,
                "tables_written": len(done.written),
                "tables_kept": len(done.kept),
                "written": ", ".join(done.written) or "none",
            }
        )

    return _publish
