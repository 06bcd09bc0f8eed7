"""The manager's report: an HTML file with charts and a Markdown digest beside the published warehouse."""

from pathlib import Path

import dagster as dg

from pipelines import config as config_module
from pipelines import report
from pipelines.defs.publish import PUBLISHED
from pipelines.defs.resources import TrackerlakeSettings

REPORT = dg.AssetKey(["published", "report"])


def report_asset() -> dg.AssetsDefinition:
    @dg.asset(
        key=REPORT,
        deps=[PUBLISHED],
        group_name="published",
        kinds={"html"},
        description=(
            "The manager's report, read from the published warehouse and written beside it: "
            "`<warehouse>.report.html` (one file, charts inline, opens offline) and `<warehouse>.digest.md` "
            "(the same in Markdown for chat or e-mail, also shown here). Not rewritten when the "
            "publish was skipped, so it always describes the file beside it."
        ),
    )
    def _report(settings: TrackerlakeSettings) -> dg.MaterializeResult:
        # The report reads the published file only: it needs no source's credentials.
        config = config_module.load(settings.config_path, check_env=False)
        # The charts the last report drew are kept beside the working database, as its publish record is.
        files = report.write_report(config.warehouse, Path(f"{config.work_database}.charts.json"))
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(files.html)),
                "digest_path": dg.MetadataValue.path(str(files.digest)),
                "digest": dg.MetadataValue.md(files.digest_text),
                "charts_drawn": files.charts_drawn,
            }
        )

    return _report
