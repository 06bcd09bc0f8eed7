"""The text summary a run prints: what each source cost, milestones by status, and the slipping ones."""

from __future__ import annotations

from pathlib import Path

import duckdb

STATUS_ORDER = (
    "on_track",
    "at_risk",
    "slipping",
    "overdue",
    "no_due_date",
    "done_on_time",
    "done_late",
    "done",
)
ATTENTION = ("overdue", "slipping", "at_risk")


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?", [schema, table]
        ).fetchone()[0]
    )


def sync_lines(con: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    rows = con.execute(
        "SELECT source, status, requests, records, error FROM ops.sync_runs WHERE run_id = ? ORDER BY source",
        [run_id],
    ).fetchall()
    lines = []
    for source, status, requests, records, error in rows:
        line = f"  {source}: {status}, {requests} requests, {records} records"
        lines.append(line + (f" ({error})" if error else ""))
    return lines


def completion_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    if not _table_exists(con, "marts", "project_completion"):
        return ["  (no project_completion table: models did not run)"]
    counts = con.execute(
        "SELECT source, project, status, count(*) FROM marts.project_completion GROUP BY ALL ORDER BY 1, 2"
    ).fetchall()
    by_project: dict[tuple[str, str], dict[str, int]] = {}
    for source, project, status, n in counts:
        by_project.setdefault((source, project), {})[status] = n
    lines = []
    for (source, project), statuses in by_project.items():
        parts = [f"{statuses[s]} {s}" for s in STATUS_ORDER if s in statuses]
        lines.append(f"  {source} {project}: " + ", ".join(parts))
    return lines


def attention_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    if not _table_exists(con, "marts", "project_completion"):
        return []
    rows = con.execute(
        """
        SELECT status, project, name, status_reason FROM marts.project_completion
        WHERE status IN ('overdue', 'slipping', 'at_risk')
        ORDER BY list_position(?, status), due_date NULLS LAST, project, name
        """,
        [list(ATTENTION)],
    ).fetchall()
    return [f"  {status:<8} {project} {name!r}: {reason}" for status, project, name, reason in rows]


def summary(database: Path, run_id: str | None = None) -> str:
    """Human summary of a run from the database it built (read-only)."""
    with duckdb.connect(str(database), read_only=True) as con:
        out = []
        if run_id and _table_exists(con, "ops", "sync_runs"):
            out += ["Sources:", *sync_lines(con, run_id)]
        out += ["Milestones by status:", *completion_lines(con)]
        attention = attention_lines(con)
        out += [f"Milestones needing attention ({len(attention)}):", *(attention or ["  none"])]
    return "\n".join(out)


def slipping_count(database: Path) -> int:
    with duckdb.connect(str(database), read_only=True) as con:
        if not _table_exists(con, "marts", "project_completion"):
            return 0
        return con.execute(
            "SELECT count(*) FROM marts.project_completion WHERE status IN ('overdue', 'slipping', 'at_risk')"
        ).fetchone()[0]
