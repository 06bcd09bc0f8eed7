"""The report in Markdown, short enough for a chat message or an e-mail (and the run's Dagster
metadata): the headline, the milestones needing attention, those closed with items not done, the
deliveries on time whose outcome failed, the portfolio, and the words they use."""

from __future__ import annotations

from pathlib import Path

from pipelines import report_tables
from pipelines.figures import cell, markdown_table
from pipelines.glossary import GLOSSARY
from pipelines.report_data import ReportData, Row
from pipelines.report_tables import Column, headline, pick

ATTENTION = pick(
    report_tables.ATTENTION,
    (
        "status",
        "project",
        "name",
        "pct_complete",
        "due_date",
        "forecast_p50_date",
        "forecast_p85_date",
        "days_late",
        "owners",
    ),
)
CLOSED_INCOMPLETE = pick(
    report_tables.CLOSED_INCOMPLETE, ("project", "name", "completed_on", "done_items", "carried_over_items")
)
FAILED_ON_TIME = pick(report_tables.OUTCOMES, ("project", "name", "released_on", "outcome_reason"))
PORTFOLIO = pick(
    report_tables.PORTFOLIO,
    (
        "project",
        "open_milestones",
        "at_risk",
        "slipping",
        "overdue",
        "done_on_time_rate",
        "avg_escaped_defect_rate",
        "throughput_4w",
    ),
)
WORDS = (
    "% complete",
    "p50 forecast",
    "p85 forecast",
    "days late",
    "owners",
    "carried over",
    "on time, outcome failed",
    "done on time rate",
    "escaped defect rate",
    "throughput",
)


def _table(columns: list[Column], rows: list[Row]) -> str:
    return markdown_table(
        [header for _, header, _ in columns], [[text(row) for _, _, text in columns] for row in rows]
    )


def render(data: ReportData, report: Path | None = None) -> str:
    failed = [o for o in data.outcomes if o["outcome_failed_despite_on_time"]]
    parts = [f"**Delivery report, as of {cell(data.as_of)} UTC.** {headline(data)}"]
    if data.attention:
        parts += ["### Needing attention", _table(ATTENTION, data.attention)]
    if data.closed_incomplete:
        parts += ["### Closed with items not done", _table(CLOSED_INCOMPLETE, data.closed_incomplete)]
    if failed:
        parts += ["### On time, outcome failed", _table(FAILED_ON_TIME, failed)]
    parts += ["### Portfolio", _table(PORTFOLIO, data.portfolio)]
    parts += ["Words:", "\n".join(f"- *{term}*: {GLOSSARY[term]}" for term in WORDS)]
    if report is not None:
        parts.append(f"Burn-up charts and trends: {report}")
    return "\n\n".join(parts) + "\n"
