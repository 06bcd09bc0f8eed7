"""resolved_at is the last move from a not-done status into done (finding 1 of issue 10).

A classic Jira workflow: Open → In Progress → Resolved, then weeks later Resolved → Closed, and a
workflow migration on 2026-02-25 moved every closed issue to a new done status, "已完成". Neither
done → done move is a resolution. Version 1.0 (due 2026-01-20, released) holds three issues:

- A: created 01-02, in progress 01-05, Resolved 01-10, Closed 02-15, 已完成 02-25 → resolved 01-10,
  lead time 8 days, cycle time 5 days.
- B: created 01-03, Resolved 01-12, reopened 01-13, Resolved 01-18, Closed 02-15, 已完成 02-25 →
  resolved 01-18 (15 days), reopened once.
- C: created 01-04 and already 已完成 with no changelog (its history is incomplete): resolutiondate
  01-08 is its resolution (4 days), not its creation.

The version's last resolution is 01-18, two days before its due date: done_on_time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import duckdb
import pytest
from github_builder import GitHubRecords, completion, rows
from jira_builder import JiraRecords, built, jira_time


def resolve(issue: dict[str, Any], when: str) -> None:
    issue["fields"] |= {"resolution": {"name": "Fixed"}, "resolutiondate": jira_time(when)}


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    jira = JiraRecords()
    todo = jira.status("Open", "new")
    doing = jira.status("In Progress", "indeterminate")
    resolved, closed, migrated = (jira.status(name, "done") for name in ("Resolved", "Closed", "已完成"))
    version = jira.version("OPS", "1.0", due="2026-01-20", released=True)
    a = jira.issue("OPS", created="2026-01-02", fix_versions=(version,))
    a["fields"]["summary"] = "A"
    for when, status in (("01-05", doing), ("01-10", resolved), ("02-15", closed), ("02-25", migrated)):
        jira.move(a, f"2026-{when}", status)
    resolve(a, "2026-01-10")
    b = jira.issue("OPS", created="2026-01-03", fix_versions=(version,))
    b["fields"]["summary"] = "B"
    moves = (
        ("01-12", resolved),
        ("01-13", todo),
        ("01-18", resolved),
        ("02-15", closed),
        ("02-25", migrated),
    )
    for when, status in moves:
        jira.move(b, f"2026-{when}", status)
    resolve(b, "2026-01-18")
    c = jira.issue("OPS", created="2026-01-04", fix_versions=(version,))
    c["fields"] |= {"summary": "C", "status": migrated, "updated": jira_time("2026-02-25")}
    resolve(c, "2026-01-08")
    return built(tmp_path_factory.mktemp("resolution") / "work.duckdb", GitHubRecords(), jira)


def item(con: duckdb.DuckDBPyConnection, title: str) -> dict[str, Any]:
    (row,) = rows(con, "SELECT * FROM marts.work_items WHERE title = ?", title)
    return row


def test_moves_between_done_statuses_do_not_move_the_resolution(con: duckdb.DuckDBPyConnection) -> None:
    a = item(con, "A")
    assert a["resolved_at"] == datetime(2026, 1, 10, tzinfo=UTC)
    assert (a["lead_time_days"], a["cycle_time_days"], a["reopened_count"]) == (8.0, 5.0, 0)


def test_a_reopened_item_is_resolved_by_its_last_move_into_done(con: duckdb.DuckDBPyConnection) -> None:
    b = item(con, "B")
    assert b["resolved_at"] == datetime(2026, 1, 18, tzinfo=UTC)
    assert (b["lead_time_days"], b["reopened_count"]) == (15.0, 1)


def test_resolutiondate_stands_in_when_the_history_starts_done(con: duckdb.DuckDBPyConnection) -> None:
    c = item(con, "C")
    assert (c["resolved_at"], c["lead_time_days"]) == (datetime(2026, 1, 8, tzinfo=UTC), 4.0)


def test_a_version_resolved_before_its_release_date_is_on_time(con: duckdb.DuckDBPyConnection) -> None:
    row = completion(con, "name", "1.0")
    assert row["completed_at"] == datetime(2026, 1, 18, tzinfo=UTC)
    assert (row["status"], row["days_late"], row["done_items"]) == ("done_on_time", None, 3)
    assert row["status_reason"] == "completed 2026-01-18, 2 days before due 2026-01-20"
