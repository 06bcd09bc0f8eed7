"""Due-date history across runs: the tracker overwrites due_on, the pipeline keeps the plan."""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb
import pytest
from github_builder import AS_OF, GitHubRecords, completion, open_warehouse, rows, run

REPO = "acme/moving"
RUNS = (  # as_of of each run, due dates of the two milestones the tracker shows then
    (datetime(2026, 2, 1, 12, tzinfo=UTC), "2026-04-01", "2026-02-10"),
    (datetime(2026, 2, 15, 12, tzinfo=UTC), "2026-04-06", "2026-02-25"),
    (AS_OF, "2026-04-13", "2026-02-25"),
)


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    con = open_warehouse(tmp_path_factory.mktemp("due") / "work.duckdb")
    for as_of, pushed_due, shipped_due in RUNS:
        gh = GitHubRecords()
        pushed = gh.milestone(REPO, "Pushed", created="2026-01-01", due=pushed_due)
        closed = "2026-02-20" if as_of == AS_OF else None
        shipped = gh.milestone(REPO, "Shipped late", created="2026-01-01", due=shipped_due, closed=closed)
        gh.completed_per_week(REPO, [3] * 8)
        gh.issue(REPO, created="2026-01-02", milestone=pushed)
        gh.issue(REPO, created="2026-01-02", closed="2026-02-19", milestone=shipped)
        gh.land(con)
        run(con, as_of)
    return con


def test_pushed_out_due_date_is_at_risk_with_its_history(con: duckdb.DuckDBPyConnection) -> None:
    row = completion(con, "name", "Pushed")
    assert (row["due_date"], row["original_due_date"]) == (date(2026, 4, 13), date(2026, 4, 1))
    assert (row["due_date_changes"], row["due_slip_days"]) == (2, 12)
    assert row["forecast_p85_date"] <= row["due_date"]  # on track but for the move
    assert row["status"] == "at_risk"
    assert row["status_reason"] == "due date moved 2 times, +12 days"


def test_on_time_is_judged_against_the_original_due_date(con: duckdb.DuckDBPyConnection) -> None:
    row = completion(con, "name", "Shipped late")
    assert (row["status"], row["on_time"], row["days_late"]) == ("done_late", False, 10)
    assert row["status_reason"] == (
        "completed 2026-02-20, 10 days after original due 2026-02-10; due date moved 1 time, +15 days"
    )


def test_due_changes_are_recorded_once(con: duckdb.DuckDBPyConnection) -> None:
    run(con, AS_OF)  # the same run again adds nothing
    changes = rows(
        con,
        """
        SELECT m.name, c.observed_at::DATE AS observed, c.old_due_date, c.new_due_date, c.shift_days
        FROM marts.milestone_due_changes c JOIN marts.milestones m USING (milestone_id)
        ORDER BY m.name, c.observed_at
        """,
    )
    assert [tuple(change.values()) for change in changes] == [
        ("Pushed", date(2026, 2, 15), date(2026, 4, 1), date(2026, 4, 6), 5),
        ("Pushed", date(2026, 3, 2), date(2026, 4, 6), date(2026, 4, 13), 7),
        ("Shipped late", date(2026, 2, 15), date(2026, 2, 10), date(2026, 2, 25), 15),
    ]
    assert con.execute("SELECT count(*) FROM ops.milestone_due_log").fetchone() == (5,)


def test_an_earlier_as_of_sees_only_the_history_up_to_it(con: duckdb.DuckDBPyConnection) -> None:
    run(con, RUNS[1][0])
    row = completion(con, "name", "Pushed")
    assert (row["original_due_date"], row["due_date_changes"]) == (date(2026, 4, 1), 1)
    assert con.execute("SELECT count(*) FROM marts.milestone_due_changes").fetchone() == (2,)
    run(con, AS_OF)
