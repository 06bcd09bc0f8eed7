"""marts.project_completion: one milestone per repo, each built to land on one status rule.

as_of is Monday 2026-03-02 12:00 UTC; the forecast window is the 8 weeks before it.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pytest
from github_builder import GitHubRecords, completion, open_warehouse, rows, run


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    gh = GitHubRecords()

    overdue = gh.milestone("acme/overdue", "Overdue", created="2026-01-01", due="2026-03-01")
    gh.issue("acme/overdue", created="2026-01-01T10:00", closed="2026-02-01", milestone=overdue)
    gh.issue("acme/overdue", created="2026-01-01T10:00", milestone=overdue)
    gh.issue("acme/overdue", created="2026-01-01T10:00", milestone=overdue)

    late = gh.milestone(
        "acme/late", "Late", created="2026-01-01", due="2026-02-15", closed="2026-02-20T10:00"
    )
    gh.issue("acme/late", created="2026-01-02", closed="2026-02-19", milestone=late)

    on_time = gh.milestone(
        "acme/ontime", "On time", created="2026-01-01", due="2026-02-15", closed="2026-02-10"
    )
    gh.issue("acme/ontime", created="2026-01-02", closed="2026-02-09", milestone=on_time)

    undated = gh.milestone("acme/undated", "Closed, no due", created="2026-01-01", closed="2026-02-10")
    gh.issue("acme/undated", created="2026-01-02", closed="2026-02-09", milestone=undated)

    open_undated = gh.milestone("acme/someday", "Open, no due", created="2026-01-01")
    gh.issue("acme/someday", created="2026-01-02", milestone=open_undated)

    idle = gh.milestone("acme/idle", "Idle", created="2026-01-01", due="2026-06-01")
    gh.issue("acme/idle", created="2025-05-01", closed="2025-06-01")  # completed long before the window
    for _ in range(2):
        gh.issue("acme/idle", created="2026-01-02", milestone=idle)

    fast = gh.milestone("acme/fast", "Fast", created="2026-01-01", due="2027-01-01")
    gh.completed_per_week("acme/fast", [3] * 8)
    for _ in range(2):
        gh.issue("acme/fast", created="2026-01-02", milestone=fast)

    slow = gh.milestone("acme/slow", "Slow", created="2026-01-01", due="2026-03-09")
    gh.completed_per_week("acme/slow", [1] * 8)
    for _ in range(20):
        gh.issue("acme/slow", created="2026-01-02", milestone=slow)

    # 4 items left, weeks of 4 completions 3 times in 4: p50 within a week, p85 two weeks out
    risky = gh.milestone("acme/risky", "Risky", created="2026-01-01", due="2026-03-09")
    gh.completed_per_week("acme/risky", [4, 0, 4, 4, 4, 0, 4, 4])
    for _ in range(4):
        gh.issue("acme/risky", created="2026-01-02", milestone=risky)

    con = open_warehouse(tmp_path_factory.mktemp("completion") / "work.duckdb")
    gh.land(con)
    run(con)
    return con


def test_due_yesterday_with_open_items_is_overdue(con: duckdb.DuckDBPyConnection) -> None:
    row = completion(con, "project", "acme/overdue")
    assert row["status"] == "overdue"
    assert row["status_reason"] == "2 items open, 1 day past due 2026-03-01"
    assert (row["scope_items"], row["done_items"], row["remaining_items"]) == (3, 1, 2)
    assert row["pct_complete"] == pytest.approx(1 / 3)
    assert row["days_late"] == 1
    assert row["on_time"] is None


def test_closed_after_due_is_done_late(con: duckdb.DuckDBPyConnection) -> None:
    row = completion(con, "project", "acme/late")
    assert (row["status"], row["on_time"], row["days_late"]) == ("done_late", False, 5)
    assert row["status_reason"] == "completed 2026-02-20, 5 days after due 2026-02-15"
    assert row["forecast_p50_date"] is None  # no forecast for a closed milestone


def test_closed_before_due_is_done_on_time(con: duckdb.DuckDBPyConnection) -> None:
    row = completion(con, "project", "acme/ontime")
    assert (row["status"], row["on_time"], row["days_late"]) == ("done_on_time", True, None)
    assert row["status_reason"] == "completed 2026-02-10, 5 days before due 2026-02-15"
    assert row["pct_complete"] == 1.0


def test_closed_without_due_is_done(con: duckdb.DuckDBPyConnection) -> None:
    row = completion(con, "project", "acme/undated")
    assert (row["status"], row["on_time"], row["days_late"]) == ("done", None, None)
    assert row["completed_at"].date() == date(2026, 2, 10)


def test_open_without_due_is_no_due_date(con: duckdb.DuckDBPyConnection) -> None:
    row = completion(con, "project", "acme/someday")
    assert row["status"] == "no_due_date"
    assert row["status_reason"] == "no due date set; 1 item open"


def test_zero_throughput_is_slipping_with_no_forecast(con: duckdb.DuckDBPyConnection) -> None:
    row = completion(con, "project", "acme/idle")
    assert row["status"] == "slipping"
    assert row["status_reason"] == "no throughput: no items completed in the last 8 weeks; 2 items open"
    assert row["throughput_per_week"] == 0
    assert row["forecast_p50_date"] is None and row["forecast_p85_date"] is None


def test_far_due_with_high_throughput_is_on_track(con: duckdb.DuckDBPyConnection) -> None:
    row = completion(con, "project", "acme/fast")
    assert row["status"] == "on_track"
    assert row["throughput_per_week"] == 3.0
    # 3 completions every week: 2 remaining items are always done in the first week
    assert row["forecast_p50_date"] == row["forecast_p85_date"] == date(2026, 3, 9)
    assert row["status_reason"] == "p85 forecast 2026-03-09 is 298 days before due 2027-01-01"


def test_p50_forecast_after_due_is_slipping(con: duckdb.DuckDBPyConnection) -> None:
    row = completion(con, "project", "acme/slow")
    assert row["status"] == "slipping"
    assert row["forecast_p50_date"] == date(2026, 7, 20)  # 20 items at exactly 1 a week
    assert row["status_reason"] == "p50 forecast 2026-07-20 is 133 days after due 2026-03-09"


def test_p85_forecast_after_due_is_at_risk(con: duckdb.DuckDBPyConnection) -> None:
    row = completion(con, "project", "acme/risky")
    assert row["status"] == "at_risk"
    assert (row["forecast_p50_date"], row["forecast_p85_date"]) == (date(2026, 3, 9), date(2026, 3, 16))
    assert row["status_reason"] == "p85 forecast 2026-03-16 is 7 days after due 2026-03-09"


def test_every_milestone_has_one_row_and_points_are_null_for_github(con: duckdb.DuckDBPyConnection) -> None:
    (counts,) = rows(
        con,
        """
        SELECT count(*) AS completion, count(DISTINCT milestone_id) AS distinct_ids,
               (SELECT count(*) FROM marts.milestones) AS milestones,
               count(scope_points) AS with_points, count(budget_used_pct) AS with_budget,
               count(*) FILTER (WHERE as_of <> TIMESTAMPTZ '2026-03-02 12:00:00+00') AS other_as_of
        FROM marts.project_completion
        """,
    )
    assert counts == {
        "completion": 9,
        "distinct_ids": 9,
        "milestones": 9,
        "with_points": 0,
        "with_budget": 0,
        "other_as_of": 0,
    }
