"""marts.milestone_burnup, marts.delivery_weekly and marts.portfolio on hand-built histories.

as_of is Monday 2026-03-02 12:00 UTC, so the current ISO week starts on as_of's day.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pytest
from github_builder import GitHubRecords, rows
from jira_builder import JiraRecords, built

BURNUP = "acme/burnup"
WEEKLY = "acme/weekly"


def burnup_scenario(gh: GitHubRecords) -> None:
    """Created 2026-02-01 (baseline 02-02): a, c, d, e planned; b joins 02-05; a done 02-10; e done
    02-12 and reopened 02-14; c taken out 02-15; d closed as not planned 02-20."""
    m = gh.milestone(BURNUP, "Burn", created="2026-02-01", due="2026-03-31")
    gh.issue(BURNUP, created="2026-01-30", closed="2026-02-10", milestone=m, title="a")
    b = gh.issue(BURNUP, created="2026-02-04", milestone=m, title="b")
    gh.milestoned(BURNUP, b, m, "2026-02-05")
    c = gh.issue(BURNUP, created="2026-01-30", title="c")
    gh.milestoned(BURNUP, c, m, "2026-02-01T10:00")
    gh.milestoned(BURNUP, c, m, "2026-02-15", removed=True)
    d = gh.issue(
        BURNUP, created="2026-01-30", closed="2026-02-20", reason="not_planned", milestone=m, title="d"
    )
    gh.milestoned(BURNUP, d, m, "2026-02-01T10:00")
    e = gh.issue(BURNUP, created="2026-01-30", milestone=m, title="e")
    gh.milestoned(BURNUP, e, m, "2026-02-01T10:00")
    gh.event(BURNUP, e, "closed", "2026-02-12")
    gh.event(BURNUP, e, "reopened", "2026-02-14")


def weekly_scenario(gh: GitHubRecords) -> None:
    """Weeks of 02-09, 02-16, 02-23 and 03-02 (the current one)."""
    gh.issue(WEEKLY, created="2026-02-10", closed="2026-02-12")  # lead 2 days
    started = gh.issue(WEEKLY, created="2026-02-10", closed="2026-02-19", assignee="dev")
    gh.event(WEEKLY, started, "assigned", "2026-02-11")  # lead 9, cycle 8 days
    busy = gh.issue(WEEKLY, created="2026-02-17", assignee="dev")
    gh.event(WEEKLY, busy, "assigned", "2026-02-18")
    gh.issue(WEEKLY, created="2026-02-17", labels=("bug",))  # open bug, 6 days old at 02-23
    gh.issue(WEEKLY, created="2026-02-24", closed="2026-02-25", labels=("bug", "customer"))
    gh.issue(WEEKLY, created="2026-02-24", closed="2026-02-26", reason="not_planned")


def jira_points_scenario(jira: JiraRecords) -> None:
    """Version 2.0 started with a 3- and a 5-point story; the 3 was done 2026-02-10."""
    version = jira.version("PTS", "2.0", due="2026-04-01")
    version["startDate"] = "2026-02-01"
    jira.issue("PTS", created="2026-01-20", resolved="2026-02-10", fix_versions=(version,), points=3)
    jira.issue("PTS", created="2026-01-20", fix_versions=(version,), points=5)


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    gh, jira = GitHubRecords(), JiraRecords()
    burnup_scenario(gh)
    weekly_scenario(gh)
    jira_points_scenario(jira)
    return built(tmp_path_factory.mktemp("trends") / "work.duckdb", gh, jira)


def burnup(con: duckdb.DuckDBPyConnection, project: str) -> dict[date, tuple]:
    found = con.execute(
        """
        SELECT day, scope_items, done_items, scope_points, done_points
        FROM marts.milestone_burnup JOIN marts.milestones USING (milestone_id)
        WHERE project = ? ORDER BY day
        """,
        [project],
    ).fetchall()
    return {day: tuple(figures) for day, *figures in found}


def test_burnup_replays_membership_and_status_day_by_day(con: duckdb.DuckDBPyConnection) -> None:
    days = burnup(con, BURNUP)
    assert (min(days), max(days), len(days)) == (date(2026, 2, 2), date(2026, 3, 2), 29)
    changes = {
        day: figures[:2] for day, figures in days.items() if days.get(day - timedelta(days=1)) != figures
    }
    assert changes == {
        date(2026, 2, 2): (4, 0),  # a, c, d, e
        date(2026, 2, 5): (5, 0),  # b joins
        date(2026, 2, 10): (5, 1),  # a done
        date(2026, 2, 12): (5, 2),  # e done
        date(2026, 2, 14): (5, 1),  # e reopened
        date(2026, 2, 15): (4, 1),  # c taken out
        date(2026, 2, 20): (3, 1),  # d not planned
    }
    assert days[date(2026, 3, 2)] == (3, 1, None, None)  # GitHub has no points
    (row,) = rows(
        con, "SELECT scope_items, done_items FROM marts.project_completion WHERE project = ?", BURNUP
    )
    assert row == {"scope_items": 3, "done_items": 1}


def test_burnup_sums_story_points(con: duckdb.DuckDBPyConnection) -> None:
    days = burnup(con, "PTS")
    assert min(days) == date(2026, 2, 2)  # start 02-01 plus a day of grace
    assert days[date(2026, 2, 9)] == (2, 0, 8.0, 0.0)
    assert days[date(2026, 2, 10)] == (2, 1, 8.0, 3.0)
    (row,) = rows(
        con,
        "SELECT scope_points, done_points, pct_complete_points FROM marts.project_completion WHERE project = 'PTS'",
    )
    assert row == {"scope_points": 8.0, "done_points": 3.0, "pct_complete_points": 3 / 8}


def test_delivery_weekly_counts_flows_and_week_end_states(con: duckdb.DuckDBPyConnection) -> None:
    found = rows(
        con,
        "SELECT * EXCLUDE (source, project) FROM marts.delivery_weekly WHERE project = ? ORDER BY week_start",
        WEEKLY,
    )
    columns = (
        "week_start", "created_items", "completed_items", "wip", "backlog_items",
        "bugs_opened", "bugs_closed", "open_bugs", "open_bug_age_p50_days", "customer_reported_opened",
    )  # fmt: skip
    assert [tuple(row[c] for c in columns) for row in found] == [
        (date(2026, 2, 9), 2, 1, 1, 0, 0, 0, 0, None, 0),
        (date(2026, 2, 16), 2, 1, 1, 1, 1, 0, 1, 6.0, 0),
        (date(2026, 2, 23), 2, 1, 1, 1, 1, 1, 1, 13.0, 1),
        (date(2026, 3, 2), 0, 0, 1, 1, 0, 0, 1, 13.5, 0),  # the current week ends at as_of
    ]
    times = [(row["lead_time_p50_days"], row["cycle_time_p50_days"]) for row in found]
    assert times == [(2.0, None), (9.0, 8.0), (1.0, None), (None, None)]


def test_portfolio_summarises_each_project(con: duckdb.DuckDBPyConnection) -> None:
    (row,) = rows(con, "SELECT * FROM marts.portfolio WHERE project = ?", WEEKLY)
    assert row == {
        "source": "gh",
        "project": WEEKLY,
        "open_milestones": 0,
        "on_track": 0,
        "at_risk": 0,
        "slipping": 0,
        "overdue": 0,
        "closed_incomplete": 0,
        "delivered_milestones_180d": 0,
        "done_on_time_rate": None,
        "avg_escaped_defect_rate": None,
        "throughput_4w": 3,
        "wip": 1,
        "open_bugs": 1,
        "customer_reported_open": 0,
        "open_items_per_assignee_max": 1,
        "unassigned_open_items": 1,
    }
    (burn,) = rows(con, "SELECT open_milestones, slipping FROM marts.portfolio WHERE project = ?", BURNUP)
    assert burn == {"open_milestones": 1, "slipping": 1}  # nothing completed in the window: no throughput
