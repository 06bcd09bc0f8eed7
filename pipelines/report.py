"""The text summary a run prints: what each source cost, then per project its milestones by status,
its delivered milestones by outcome and the ones whose outcome failed although they were on time,
the milestones that need attention, those closed with items not done, and the values from the
trackers that meant nothing (the source_data_oddities check). And the manager's report files
(HTML with charts, Markdown digest) written beside the published warehouse."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines import report_data, warehouse

STATUS_ORDER = (
    "on_track",
    "at_risk",
    "slipping",
    "overdue",
    "no_due_date",
    "done_on_time",
    "done_late",
    "done",
    "closed_incomplete",
)
OUTCOME_ORDER = ("failing", "watch", "healthy")
ODDITIES_LISTED = 5

Project = tuple[str, str]  # (source, project)


def sync_lines(con: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    rows = con.execute(
        "SELECT source, status, requests, records FROM ops.sync_runs WHERE run_id = ? ORDER BY source",
        [run_id],
    ).fetchall()
    # A failed source's cause is printed once, on its FAILED line (cli.py), not repeated here.
    return [
        f"  {source}: {status}, {requests} requests, {records} records"
        for source, status, requests, records in rows
    ]


def counts_by_project(
    con: duckdb.DuckDBPyConnection, table: str, column: str
) -> dict[Project, dict[str, int]]:
    """{(source, project): {value of `column`: rows}} of a marts table that has source and project."""
    counts: dict[Project, dict[str, int]] = {}
    for source, project, value, n in con.execute(
        f"SELECT source, project, {column}, count(*) FROM marts.{table} GROUP BY ALL ORDER BY 1, 2"
    ).fetchall():
        counts.setdefault((source, project), {})[value] = n
    return counts


def counts_text(counts: dict[str, int], order: tuple[str, ...]) -> str:
    return ", ".join(f"{counts[value]} {value}" for value in order if value in counts)


def failed_on_time(con: duckdb.DuckDBPyConnection) -> dict[Project, list[str]]:
    """Per project, the delivered milestones that were on time but whose outcome is failing."""
    failed: dict[Project, list[str]] = {}
    for source, project, name, reason in con.execute(
        """
        SELECT source, project, name, outcome_reason FROM marts.product_outcomes
        WHERE outcome_failed_despite_on_time ORDER BY source, project, released_at, name
        """
    ).fetchall():
        failed.setdefault((source, project), []).append(f"{name!r}: {reason}")
    return failed


def project_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    if not warehouse.table_exists(con, "marts.project_completion"):
        return ["  (no project_completion table: models did not run)"]
    statuses = counts_by_project(con, "project_completion", "status")
    has_outcomes = warehouse.table_exists(con, "marts.product_outcomes")
    outcomes = counts_by_project(con, "product_outcomes", "outcome_status") if has_outcomes else {}
    failed = failed_on_time(con) if has_outcomes else {}
    lines = []
    for key, counts in statuses.items():
        lines += [f"  {' '.join(key)}", f"    milestones: {counts_text(counts, STATUS_ORDER)}"]
        if key in outcomes:
            lines.append(f"    delivered, by outcome: {counts_text(outcomes[key], OUTCOME_ORDER)}")
        lines += [f"    on time, outcome failed: {milestone}" for milestone in failed.get(key, [])]
    return lines


def attention_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    if not warehouse.table_exists(con, "marts.project_completion"):
        return []
    rows = con.execute(
        """
        SELECT status, project, name, status_reason FROM marts.project_completion
        WHERE status IN ('overdue', 'slipping', 'at_risk')
        ORDER BY list_position(?, status), due_date NULLS LAST, project, name
        """,
        [list(report_data.ATTENTION)],
    ).fetchall()
    return [f"  {status:<8} {project} {name!r}: {reason}" for status, project, name, reason in rows]


def closed_incomplete_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Milestones closed or released in the last 180 days with items not done, newest first: the
    report's own list (report_data), so the summary and the report agree."""
    if not warehouse.table_exists(con, "marts.project_completion"):
        return []
    return [
        f"  closed_incomplete {m['project']} {m['name']!r}: {m['status_reason']}, {m['carried_over_items']} carried over"
        for m in report_data.rows(con, report_data.CLOSED_INCOMPLETE_SQL)
    ]


def oddity_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    """One line when the source_data_oddities check fails: how many values were dropped, the first few."""
    if not warehouse.table_exists(con, "intermediate.source_data_oddities"):
        return []
    rows = con.execute(
        "SELECT field, raw_value, key FROM intermediate.source_data_oddities ORDER BY source, project, key, field"
    ).fetchall()
    if not rows:
        return []
    listed = ", ".join(f"{field} {value} on {key}" for field, value, key in rows[:ODDITIES_LISTED])
    more = f", and {len(rows) - ODDITIES_LISTED} more" if len(rows) > ODDITIES_LISTED else ""
    noun = "value" if len(rows) == 1 else "values"
    return [f"check source_data_oddities: {len(rows)} odd {noun} ({listed}{more}), null in marts.work_items"]


def summary(database: Path, run_id: str | None = None) -> str:
    """Human summary of a run from the database it built (read-only)."""
    with duckdb.connect(str(database), read_only=True) as con:
        out = []
        if run_id and warehouse.table_exists(con, "ops.sync_runs"):
            out += ["Sources:", *sync_lines(con, run_id)]
        out += ["Projects:", *project_lines(con)]
        attention = attention_lines(con)
        out += [f"Milestones needing attention ({len(attention)}):", *(attention or ["  none"])]
        incomplete = closed_incomplete_lines(con)
        if incomplete:
            out += [f"Closed with items not done ({len(incomplete)}):", *incomplete]
        out += oddity_lines(con)
    return "\n".join(out)


def slipping_count(database: Path) -> int:
    with duckdb.connect(str(database), read_only=True) as con:
        if not warehouse.table_exists(con, "marts.project_completion"):
            return 0
        return con.execute(
            "SELECT count(*) FROM marts.project_completion WHERE status IN ('overdue', 'slipping', 'at_risk')"
        ).fetchone()[0]


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    digest: Path
    digest_text: str
    charts_drawn: int = 0  # the others were the last report's, for the same rows


def report_paths(warehouse_path: Path) -> tuple[Path, Path]:
    """Beside the warehouse: data/demo.duckdb -> data/demo.report.html and data/demo.digest.md."""
    return warehouse_path.with_suffix(".report.html"), warehouse_path.with_suffix(".digest.md")


def write_report(warehouse_path: Path, charts: Path | None = None) -> ReportFiles:
    """The manager's HTML report and its Markdown digest, from the published warehouse, beside it.

    `charts`: the file keeping the last report's charts (report_charts), so that only charts whose
    rows changed are drawn; without it every chart is drawn.

    Each file is written whole beside its old copy and renamed over it, as the warehouse is: a
    reader opening the report during a run sees yesterday's or today's, never half of one.
    """
    from pipelines import digest, report_html
    from pipelines.report_charts import ChartStore

    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        data = report_data.load(con)
    html, markdown = report_paths(warehouse_path)
    text = digest.render(data, html)
    store = ChartStore(charts)
    _replace(html, report_html.render(data, warehouse_path, store))
    store.save()
    _replace(markdown, text)
    return ReportFiles(html, markdown, text, store.drawn)


def _replace(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
