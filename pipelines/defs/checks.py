"""Asset checks. Each check is a query returning the offending rows; no rows means it passes.

`milestones_on_schedule` and `releases_healthy` are findings (WARN): slipping milestones and failing
releases are what the pipeline exists to show. `source_data_oddities` (WARN) lists values the
trackers hold that mean nothing; the models null them, so they never block publishing. The
data-quality checks are ERROR and blocking: when one fails, nothing downstream runs and the
published warehouse stays as it was. They guard only the pipeline's own invariants (ids, the
documented vocabularies, ratios the models compute): whatever a tracker sends, they must pass.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import dagster as dg
import duckdb

from pipelines.defs.models import model_key
from pipelines.defs.resources import WorkDatabase
from pipelines.figures import markdown_table
from pipelines.models import TABLE_REFERENCE

MAX_LISTED = 25


@dataclass(frozen=True)
class Check:
    name: str
    table: str
    description: str
    sql: str
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR


SCHEDULE_CHECK = Check(
    "milestones_on_schedule",
    "marts.project_completion",
    "Open milestones that are at_risk, slipping or overdue, with the reason.",
    """
    SELECT project, name, status, due_date, forecast_p50_date, forecast_p85_date, status_reason
    FROM marts.project_completion
    WHERE state = 'open' AND status IN ('at_risk', 'slipping', 'overdue')
    ORDER BY CASE status WHEN 'overdue' THEN 0 WHEN 'slipping' THEN 1 ELSE 2 END, due_date, project, name
    """,
    dg.AssetCheckSeverity.WARN,
)

RELEASES_CHECK = Check(
    "releases_healthy",
    "marts.product_outcomes",
    "Delivered milestones whose outcome is failing, with the reason and whether they were on time.",
    """
    SELECT project, name, released_at::DATE AS released, delivered_on_time, escaped_defect_rate, outcome_reason
    FROM marts.product_outcomes
    WHERE outcome_status = 'failing'
    ORDER BY outcome_failed_despite_on_time DESC, released_at DESC, project, name
    """,
    dg.AssetCheckSeverity.WARN,
)

ODDITIES_CHECK = Check(
    "source_data_oddities",
    "marts.work_items",
    "Values the trackers hold that mean nothing (negative or NaN story points or estimates, a resolution "
    "before creation), with the raw value: null in marts.work_items, so they never reach a sum or ratio.",
    """
    SELECT source, key AS work_item, field, raw_value
    FROM intermediate.source_data_oddities
    ORDER BY source, project, key, field
    """,
    dg.AssetCheckSeverity.WARN,
)

DATA_QUALITY = (
    Check(
        "unique_work_item_ids",
        "marts.work_items",
        "Every work item id is present and unique.",
        "SELECT work_item_id, count(*) AS copies FROM marts.work_items GROUP BY 1 HAVING work_item_id IS NULL OR count(*) > 1",
    ),
    Check(
        "valid_work_item_categories",
        "marts.work_items",
        "status_category, item_type and resolution hold only the documented values.",
        """
        SELECT work_item_id, status_category, item_type, resolution FROM marts.work_items
        WHERE status_category NOT IN ('todo', 'in_progress', 'done') OR status_category IS NULL
           OR item_type NOT IN ('bug', 'feature', 'task', 'epic', 'subtask', 'incident', 'other') OR item_type IS NULL
           OR resolution NOT IN ('completed', 'not_planned', 'duplicate', 'other')
        """,
    ),
    Check(
        "unique_milestone_ids",
        "marts.milestones",
        "Every milestone id is present and unique, with a kind and a documented state (any tracker's kinds).",
        """
        SELECT milestone_id, count(*) AS copies FROM marts.milestones GROUP BY 1
        HAVING milestone_id IS NULL OR count(*) > 1
           OR bool_or(kind IS NULL OR state NOT IN ('open', 'closed', 'released') OR state IS NULL)
        """,
    ),
    Check(
        "scope_references_exist",
        "marts.milestone_scope",
        "Every scope row points at a milestone and a work item that exist.",
        """
        SELECT s.milestone_id, s.work_item_id FROM marts.milestone_scope s
        WHERE NOT EXISTS (SELECT 1 FROM marts.milestones m WHERE m.milestone_id = s.milestone_id)
           OR NOT EXISTS (SELECT 1 FROM marts.work_items w WHERE w.work_item_id = s.work_item_id)
        """,
    ),
    Check(
        "completion_ratios_in_range",
        "marts.project_completion",
        "pct_complete within 0..1, counts and scope change non-negative, scope = baseline + added - removed bounds.",
        """
        SELECT milestone_id, pct_complete, scope_change_pct, done_items, scope_items FROM marts.project_completion
        WHERE pct_complete NOT BETWEEN 0 AND 1 OR pct_complete_points NOT BETWEEN 0 AND 1
           OR scope_change_pct < 0 OR done_items > scope_items OR scope_items < 0 OR remaining_items < 0
        """,
    ),
    Check(
        "valid_completion_status",
        "marts.project_completion",
        "status holds one of the documented values and comes with a reason.",
        """
        SELECT milestone_id, status, status_reason FROM marts.project_completion
        WHERE status NOT IN ('done_on_time', 'done_late', 'done', 'closed_incomplete', 'overdue', 'no_due_date', 'slipping', 'at_risk', 'on_track')
           OR status IS NULL OR status_reason IS NULL
        """,
    ),
    Check(
        "history_references_exist",
        "marts.work_item_history",
        "Every status interval belongs to a work item that exists.",
        """
        SELECT h.work_item_id, h.valid_from FROM marts.work_item_history h
        ANTI JOIN marts.work_items w USING (work_item_id)
        """,
    ),
    Check(
        "outcomes_of_delivered_milestones",
        "marts.product_outcomes",
        "One outcome per milestone, each a delivered (not open) milestone of project_completion.",
        """
        SELECT o.milestone_id, count(*) AS copies, any_value(c.state) AS state
        FROM marts.product_outcomes o LEFT JOIN marts.project_completion c USING (milestone_id)
        GROUP BY 1 HAVING count(*) > 1 OR bool_or(c.state IS NULL OR c.state = 'open')
        """,
    ),
    Check(
        "outcome_ratios_in_range",
        "marts.product_outcomes",
        "Defect counts nest (customer ≤ all), rates and counts are non-negative, outcome_status is documented.",
        """
        SELECT milestone_id, post_release_defects, customer_reported_defects, escaped_defect_rate, outcome_status
        FROM marts.product_outcomes
        WHERE escaped_defect_rate < 0 OR items_delivered < 0 OR reopened_after_release < 0
           OR customer_reported_defects > post_release_defects OR overdue_customer_defects > customer_reported_defects
           OR outcome_status NOT IN ('failing', 'watch', 'healthy') OR outcome_status IS NULL
        """,
    ),
    Check(
        "burnup_days_in_range",
        "marts.milestone_burnup",
        "One row per milestone and day, for a milestone that exists, with 0 ≤ done ≤ scope.",
        """
        SELECT b.milestone_id, b.day, count(*) AS copies FROM marts.milestone_burnup b
        LEFT JOIN marts.milestones m USING (milestone_id)
        GROUP BY 1, 2
        HAVING count(*) > 1 OR bool_or(m.milestone_id IS NULL OR b.done_items < 0 OR b.done_items > b.scope_items)
        """,
    ),
    Check(
        "weekly_counts_in_range",
        "marts.delivery_weekly",
        "One row per project and week, every count non-negative.",
        """
        SELECT source, project, week_start, count(*) AS copies FROM marts.delivery_weekly
        GROUP BY ALL
        HAVING count(*) > 1 OR bool_or(least(created_items, completed_items, wip, bugs_opened, bugs_closed,
                                             open_bugs, customer_reported_opened, backlog_items) < 0)
        """,
    ),
    Check(
        "portfolio_rates_in_range",
        "marts.portfolio",
        "One row per project, rates within 0..1, counts non-negative.",
        """
        SELECT source, project, count(*) AS copies FROM marts.portfolio
        GROUP BY ALL
        HAVING count(*) > 1 OR bool_or(done_on_time_rate NOT BETWEEN 0 AND 1 OR avg_escaped_defect_rate < 0
                                       OR least(open_milestones, throughput_4w, wip, open_bugs) < 0)
        """,
    ),
)


def other_tables(check: Check) -> list[str]:
    """The tables a check reads besides its own: it must run only once they are built too."""
    return sorted(
        {f"{schema}.{table}" for schema, table in TABLE_REFERENCE.findall(check.sql)} - {check.table}
    )


def check_spec(check: Check) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        check.name,
        asset=model_key(check.table),
        description=check.description,
        blocking=check.severity == dg.AssetCheckSeverity.ERROR,
        additional_deps=[model_key(table) for table in other_tables(check)],
    )


def checks_definition(checks: Sequence[Check]) -> dg.AssetChecksDefinition:
    """`checks` run by one step, one query each: a step costs Dagster ~15 ms in-process (a process
    of its own under the multiprocess executor), a query here a few milliseconds."""

    @dg.multi_asset_check(name="checks", specs=[check_spec(check) for check in checks], can_subset=True)
    def _checks(
        context: dg.AssetCheckExecutionContext, duckdb: WorkDatabase
    ) -> Iterator[dg.AssetCheckResult]:
        selected = {key.name for key in context.selected_asset_check_keys}
        with duckdb.get_connection() as con:
            for check in checks:
                if check.name in selected:
                    yield evaluate(con, check)

    return _checks


def evaluate(con: duckdb.DuckDBPyConnection, check: Check) -> dg.AssetCheckResult:
    """Run `check`'s query: its offending rows, the first MAX_LISTED shown on the check."""
    cursor = con.execute(check.sql)
    columns = [c[0] for c in cursor.description]
    rows = cursor.fetchall()
    metadata: dict[str, dg.MetadataValue] = {"offending_rows": dg.MetadataValue.int(len(rows))}
    count = f"{len(rows)} row" + ("" if len(rows) == 1 else "s")
    listed = count if len(rows) <= MAX_LISTED else f"{count}, the first {MAX_LISTED}"
    if rows:
        # Rounded (0.133, not 0.13333333333333333) and shown on the check itself as a table.
        metadata["rows"] = dg.MetadataValue.md(f"{listed}:\n\n{markdown_table(columns, rows[:MAX_LISTED])}")
    description = f"{check.description} {listed}." if rows else None
    return dg.AssetCheckResult(
        asset_key=model_key(check.table),
        check_name=check.name,
        passed=not rows,
        severity=check.severity,
        metadata=metadata,
        description=description,
    )


ALL_CHECKS = (SCHEDULE_CHECK, RELEASES_CHECK, ODDITIES_CHECK, *DATA_QUALITY)


def asset_checks() -> list[dg.AssetChecksDefinition]:
    return [checks_definition(ALL_CHECKS)]
