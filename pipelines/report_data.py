"""What the manager's report shows, read from the marts of a built warehouse in a few queries.

The figures are the marts' own (no Python arithmetic over tables): the HTML report and the Markdown
digest only format them, so the report says what BI tools reading the same file say.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from pipelines import warehouse

ATTENTION = ("overdue", "slipping", "at_risk")
# Burn-up charts drawn: the milestones needing attention, most urgent first. A portfolio of
# hundreds of milestones must not make a report nobody scrolls through (nor a slow run).
MAX_CHARTS = 12
TREND_WEEKS = 12
RECENT_DAYS = 180  # as marts.portfolio: closed_incomplete and delivered milestones of the last 180 days
OWNERS_LISTED = 3

Row = dict[str, Any]


class ReportError(RuntimeError):
    """The warehouse has no marts to report on (no run built them)."""


@dataclass
class ReportData:
    as_of: datetime
    portfolio: list[Row]
    attention: list[Row]
    closed_incomplete: list[Row]
    outcomes: list[Row]
    burnups: dict[str, list[Row]]  # milestone_id -> days, for the charted attention milestones
    weekly: dict[tuple[str, str], list[Row]]  # (source, project) -> last TREND_WEEKS weeks
    sync_runs: list[Row] = field(default_factory=list)
    oddities: int = 0

    @property
    def charted(self) -> list[Row]:
        return [m for m in self.attention if m["milestone_id"] in self.burnups]


# Owners: the marts hold no milestone owner, so a milestone's owners are the assignees of its open
# scoped items, most items first.
ATTENTION_SQL = """
WITH open_work AS (
    SELECT s.milestone_id, w.assignee, count(*) AS items
    FROM marts.milestone_scope AS s JOIN marts.work_items AS w USING (work_item_id)
    WHERE s.in_scope AND NOT s.is_done AND w.assignee IS NOT NULL
    GROUP BY ALL
),
owners AS (
    SELECT milestone_id, list(assignee ORDER BY items DESC, assignee) AS owners
    FROM open_work GROUP BY ALL
)
SELECT
    c.milestone_id, c.source, c.project, c.name, c.kind, c.status, c.status_reason,
    c.pct_complete, c.done_items, c.scope_items, c.baseline_items, c.added_items, c.removed_items,
    c.scope_change_pct, c.due_date, c.original_due_date, c.forecast_p50_date, c.forecast_p85_date,
    c.forecast_p50_date - c.due_date AS p50_days_after_due, c.days_late, c.budget_used_pct,
    m.url, coalesce(o.owners, []) AS owners
FROM marts.project_completion AS c
JOIN marts.milestones AS m USING (milestone_id)
LEFT JOIN owners AS o USING (milestone_id)
WHERE c.status IN ('overdue', 'slipping', 'at_risk')
ORDER BY list_position(?, c.status), c.due_date NULLS LAST, c.project, c.name
"""

CLOSED_INCOMPLETE_SQL = f"""
SELECT c.milestone_id, c.project, c.name, c.state, c.completed_at::DATE AS completed_on, c.due_date,
       c.done_items, c.scope_items, c.carried_over_items, c.status_reason, m.url
FROM marts.project_completion AS c JOIN marts.milestones AS m USING (milestone_id)
WHERE c.status = 'closed_incomplete' AND c.completed_at > c.as_of - INTERVAL {RECENT_DAYS} DAY
ORDER BY c.completed_at DESC, c.project, c.name
"""

# Delivered milestones that are not healthy, "on time, outcome failed" first.
OUTCOMES_SQL = f"""
SELECT o.milestone_id, o.project, o.name, o.released_at::DATE AS released_on, o.delivered_on_time,
       o.items_delivered, o.post_release_defects, o.customer_reported_defects, o.escaped_defect_rate,
       o.reopened_after_release, o.window_complete, o.outcome_status, o.outcome_reason,
       o.outcome_failed_despite_on_time, m.url
FROM marts.product_outcomes AS o JOIN marts.milestones AS m USING (milestone_id)
WHERE o.outcome_status <> 'healthy' AND o.released_at > o.as_of - INTERVAL {RECENT_DAYS} DAY
ORDER BY o.outcome_failed_despite_on_time DESC, list_position(['failing', 'watch'], o.outcome_status),
         o.released_at DESC, o.project, o.name
"""

WEEKLY_SQL = f"""
SELECT source, project, week_start, completed_items, lead_time_p50_days, bugs_opened, bugs_closed, open_bugs
FROM marts.delivery_weekly
QUALIFY row_number() OVER (PARTITION BY source, project ORDER BY week_start DESC) <= {TREND_WEEKS}
ORDER BY source, project, week_start
"""


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[Row]:
    cursor = con.execute(sql, params or [])
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, values, strict=True)) for values in cursor.fetchall()]


def load(con: duckdb.DuckDBPyConnection) -> ReportData:
    """Everything the report shows, from a warehouse whose marts are built."""
    if not warehouse.table_exists(con, "marts.project_completion"):
        raise ReportError("the warehouse has no marts.project_completion: no run has built the models yet")
    as_of = con.execute("SELECT max(as_of) FROM marts.project_completion").fetchone()[0]
    attention = rows(con, ATTENTION_SQL, [list(ATTENTION)])
    charted = [m["milestone_id"] for m in attention[:MAX_CHARTS]]
    burnups: dict[str, list[Row]] = {milestone: [] for milestone in charted}
    for day in rows(
        con,
        "SELECT milestone_id, day, scope_items, done_items FROM marts.milestone_burnup "
        "WHERE list_contains(?, milestone_id) ORDER BY milestone_id, day",
        [charted],
    ):
        burnups[day["milestone_id"]].append(day)
    weekly: dict[tuple[str, str], list[Row]] = {}
    for week in rows(con, WEEKLY_SQL):
        weekly.setdefault((week["source"], week["project"]), []).append(week)
    return ReportData(
        as_of=as_of,
        portfolio=rows(con, "SELECT * FROM marts.portfolio ORDER BY source, project"),
        attention=attention,
        closed_incomplete=rows(con, CLOSED_INCOMPLETE_SQL),
        outcomes=rows(con, OUTCOMES_SQL),
        burnups=burnups,
        weekly=weekly,
        sync_runs=_last_sync(con),
        oddities=_oddities(con),
    )


def _last_sync(con: duckdb.DuckDBPyConnection) -> list[Row]:
    """The latest run's sources: for the engineers' part of the report."""
    if not warehouse.table_exists(con, "ops.sync_runs"):
        return []
    return rows(
        con,
        """
        SELECT source, status, requests, records, finished_at, error FROM ops.sync_runs
        WHERE run_id = (SELECT run_id FROM ops.sync_runs ORDER BY started_at DESC LIMIT 1)
        ORDER BY source
        """,
    )


def _oddities(con: duckdb.DuckDBPyConnection) -> int:
    if not warehouse.table_exists(con, "intermediate.source_data_oddities"):
        return 0  # a published file may leave the intermediate schema out
    return con.execute("SELECT count(*) FROM intermediate.source_data_oddities").fetchone()[0]
