"""The report's tables, declared once: which figure goes in which column and how it reads.

The HTML report and the Markdown digest both render from these, so a figure reads the same in the
browser and in a chat message. A column is (key, header, text of a row); the key names the marts'
column it shows (tests compare the cells with the marts by it).
"""

from __future__ import annotations

from collections.abc import Callable

from pipelines import report_data
from pipelines.figures import cell, percent
from pipelines.report_data import OWNERS_LISTED, ReportData, Row

Column = tuple[str, str, Callable[[Row], str]]


def _field(name: str) -> Callable[[Row], str]:
    return lambda row: cell(row[name])


def _share(name: str) -> Callable[[Row], str]:
    return lambda row: percent(row[name])


def _complete(row: Row) -> str:
    return f"{percent(row['pct_complete'])} ({row['done_items']} of {row['scope_items']})"


def _scope_change(row: Row) -> str:
    return f"{percent(row['scope_change_pct'])} (+{row['added_items']} −{row['removed_items']})"


def _due(row: Row) -> str:
    """The due date, and the first one seen when it was moved."""
    moved = row["original_due_date"] not in (None, row["due_date"])
    return cell(row["due_date"]) + (f" (first {cell(row['original_due_date'])})" if moved else "")


def _days(name: str) -> Callable[[Row], str]:
    def text(row: Row) -> str:
        days = row[name]
        return "" if days is None else f"{days:+d}"

    return text


def _owners(row: Row) -> str:
    owners = row["owners"]
    more = f" +{len(owners) - OWNERS_LISTED}" if len(owners) > OWNERS_LISTED else ""
    return ", ".join(owners[:OWNERS_LISTED]) + more


def _on_time(row: Row) -> str:
    return {True: "on time", False: "late", None: "no due date"}[row["delivered_on_time"]]


def _outcome(row: Row) -> str:
    provisional = "" if row["window_complete"] else " (provisional)"
    return row["outcome_status"] + provisional


PROJECT: Column = ("project", "project", _field("project"))
MILESTONE: Column = ("name", "milestone", _field("name"))

PORTFOLIO: list[Column] = [
    PROJECT,
    ("open_milestones", "open milestones", _field("open_milestones")),
    ("on_track", "on_track", _field("on_track")),
    ("at_risk", "at_risk", _field("at_risk")),
    ("slipping", "slipping", _field("slipping")),
    ("overdue", "overdue", _field("overdue")),
    ("closed_incomplete", "closed_incomplete (180 d)", _field("closed_incomplete")),
    ("delivered_milestones_180d", "delivered (180 d)", _field("delivered_milestones_180d")),
    ("done_on_time_rate", "done on time rate", _share("done_on_time_rate")),
    ("avg_escaped_defect_rate", "escaped defect rate", _field("avg_escaped_defect_rate")),
    ("throughput_4w", "throughput (4 weeks)", _field("throughput_4w")),
    ("wip", "WIP", _field("wip")),
    ("open_bugs", "open bugs", _field("open_bugs")),
]

ATTENTION: list[Column] = [
    ("status", "status", _field("status")),
    PROJECT,
    MILESTONE,
    ("pct_complete", "% complete", _complete),
    ("scope_change_pct", "scope change", _scope_change),
    ("due_date", "due", _due),
    ("forecast_p50_date", "p50 forecast", _field("forecast_p50_date")),
    ("forecast_p85_date", "p85 forecast", _field("forecast_p85_date")),
    ("p50_days_after_due", "p50 after due", _days("p50_days_after_due")),
    ("days_late", "days late", _field("days_late")),
    (
        "budget_used_pct",
        "budget used",
        lambda row: "" if row["budget_used_pct"] is None else percent(row["budget_used_pct"]),
    ),
    ("owners", "owners", _owners),
    ("status_reason", "why", _field("status_reason")),
]

CLOSED_INCOMPLETE: list[Column] = [
    PROJECT,
    MILESTONE,
    ("state", "state", _field("state")),
    ("completed_on", "completed", _field("completed_on")),
    ("due_date", "due", _field("due_date")),
    ("done_items", "done of scope", lambda row: f"{row['done_items']} of {row['scope_items']}"),
    ("carried_over_items", "carried over", _field("carried_over_items")),
]

OUTCOMES: list[Column] = [
    PROJECT,
    MILESTONE,
    ("released_on", "released", _field("released_on")),
    ("delivered_on_time", "delivery", _on_time),
    ("outcome_status", "outcome", _outcome),
    ("escaped_defect_rate", "escaped defect rate", _field("escaped_defect_rate")),
    ("post_release_defects", "bugs after release", _field("post_release_defects")),
    ("items_delivered", "items delivered", _field("items_delivered")),
    ("outcome_reason", "why", _field("outcome_reason")),
]


def pick(columns: list[Column], keys: tuple[str, ...]) -> list[Column]:
    """The columns named by `keys`, in that order: the digest shows fewer than the report."""
    by_key = {column[0]: column for column in columns}
    return [by_key[key] for key in keys]


def headline(data: ReportData) -> str:
    """The one sentence a manager reads first (also the digest's first line)."""
    by_status = {
        status: sum(m["status"] == status for m in data.attention) for status in report_data.ATTENTION
    }
    failed = sum(o["outcome_failed_despite_on_time"] for o in data.outcomes)
    parts = ", ".join(f"{n} {status}" for status, n in by_status.items() if n)
    return (
        f"{len(data.attention)} milestones need attention"
        + (f" ({parts})" if parts else "")
        + f"; {len(data.closed_incomplete)} closed with items not done"
        + f"; {failed} delivered on time with a failing outcome."
    )
