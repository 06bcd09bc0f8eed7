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
            "The DuckDB file at `warehouse:` that BI tools open read-only: raw, ops and marts as of this "
            "run. Written beside the old one and renamed into place, so readers never see a half-built "
            "state; skipped (yesterday's file stays) when a blocking data-quality check fails."
        ),
    )
    def _publish(settings: TrackerlakeSettings, duckdb: WorkDatabase) -> dg.MaterializeResult:
        path = settings.load().warehouse
        with duckdb.get_connection() as con:
            warehouse.publish(con, path)
        return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(path))})

    return _publish
