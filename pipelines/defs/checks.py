"""Asset checks. Each check is a query returning the offending rows; no rows means it passes.

`milestones_on_schedule` is a finding (WARN): slipping milestones are what the pipeline exists to
show. The data-quality checks are ERROR and blocking: when one fails, nothing downstream runs and
the published warehouse stays as it was.
"""


from dataclasses import dataclass

import dagster as dg

from pipelines.defs.models import model_key
from pipelines.defs.resources import WorkDatabase

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
        "Every milestone id is present and unique, and its kind is known.",
        """
        SELECT milestone_id, count(*) AS copies FROM marts.milestones GROUP BY 1
        HAVING milestone_id IS NULL OR count(*) > 1
           OR bool_or(kind NOT IN ('github_milestone', 'jira_version', 'jira_sprint'))
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
        WHERE status NOT IN ('done_on_time', 'done_late', 'done', 'overdue', 'no_due_date', 'slipping', 'at_risk', 'on_track')
           OR status IS NULL OR status_reason IS NULL
        """,
    ),
)


def markdown_table(columns: list[str], rows: list[tuple]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def asset_check(check: Check) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=model_key(check.table),
        name=check.name,
        description=check.description,
        blocking=check.severity == dg.AssetCheckSeverity.ERROR,
    )
    def _check(duckdb: WorkDatabase) -> dg.AssetCheckResult:
        with duckdb.get_connection() as con:
            cursor = con.execute(check.sql)
            columns = [c[0] for c in cursor.description]
            rows = cursor.fetchall()
        metadata: dict[str, dg.MetadataValue] = {"offending_rows": dg.MetadataValue.int(len(rows))}
        if rows:
            metadata["rows"] = dg.MetadataValue.md(markdown_table(columns, rows[:MAX_LISTED]))
        return dg.AssetCheckResult(passed=not rows, severity=check.severity, metadata=metadata)

    return _check


def asset_checks() -> list[dg.AssetChecksDefinition]:
    return [asset_check(check) for check in (SCHEDULE_CHECK, *DATA_QUALITY)]
