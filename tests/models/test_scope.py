"""Milestone scope from membership history: baseline vs added vs removed vs not_planned.

The milestone is created 2026-01-10, so with the default 1-day grace its baseline is 2026-01-11.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pytest
from github_builder import GitHubRecords, open_warehouse, rows, run

REPO = "acme/scope"


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    gh = GitHubRecords()
    m = gh.milestone(REPO, "Scope", created="2026-01-10", due="2026-12-31")
    planned = gh.issue(REPO, created="2026-01-09", milestone=m, title="planned")
    gh.milestoned(REPO, planned, m, "2026-01-10T09:00")
    done = gh.issue(REPO, created="2026-01-09", closed="2026-02-01", milestone=m, title="done")
    gh.milestoned(REPO, done, m, "2026-01-10T09:00")
    added = gh.issue(REPO, created="2026-01-19", milestone=m, title="added")
    gh.milestoned(REPO, added, m, "2026-01-20")
    removed = gh.issue(REPO, created="2026-01-09", title="removed")
    gh.milestoned(REPO, removed, m, "2026-01-10T09:00")
    gh.milestoned(REPO, removed, m, "2026-01-25", removed=True)
    dropped = gh.issue(
        REPO, created="2026-01-09", closed="2026-01-28", reason="not_planned", milestone=m, title="dropped"
    )
    gh.milestoned(REPO, dropped, m, "2026-01-10T09:00")
    gh.issue(REPO, created="2026-01-05", milestone=m, title="no events")  # joined before the history starts
    duplicate = gh.issue(
        REPO, created="2026-01-21", closed="2026-01-23", reason="duplicate", milestone=m, title="dup"
    )
    gh.milestoned(REPO, duplicate, m, "2026-01-22")
    con = open_warehouse(tmp_path_factory.mktemp("scope") / "work.duckdb")
    gh.land(con)
    run(con)
    return con


def scope_by_title(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    found = rows(
        con,
        """
        SELECT w.title, s.* EXCLUDE (milestone_id, work_item_id)
        FROM marts.milestone_scope s JOIN marts.work_items w USING (work_item_id)
        """,
    )
    return {row.pop("title"): row for row in found}


def test_milestone_scope_flags_each_item(con: duckdb.DuckDBPyConnection) -> None:
    flags = {
        title: (
            row["in_baseline"],
            row["added_after_baseline"],
            row["removed_after_baseline"],
            row["in_scope"],
        )
        for title, row in scope_by_title(con).items()
    }
    assert flags == {
        "planned": (True, False, False, True),
        "done": (True, False, False, True),
        "added": (False, True, False, True),
        "removed": (True, False, True, False),
        "dropped": (True, False, True, False),
        "no events": (True, False, False, True),
        "dup": (False, True, True, False),
    }


def test_join_and_leave_times(con: duckdb.DuckDBPyConnection) -> None:
    scope = scope_by_title(con)
    assert str(scope["removed"]["added_at"]) == "2026-01-10 09:00:00+00:00"
    assert str(scope["removed"]["removed_at"]) == "2026-01-25 00:00:00+00:00"
    assert scope["planned"]["removed_at"] is None
    # no milestoned event: joined when the issue was created
    assert str(scope["no events"]["added_at"]) == "2026-01-05 00:00:00+00:00"


def test_completion_counts_scope_against_baseline(con: duckdb.DuckDBPyConnection) -> None:
    (row,) = rows(con, "SELECT * FROM marts.project_completion")
    assert str(row["baseline_at"]) == "2026-01-11 00:00:00+00:00"
    counts = {
        k: row[k] for k in ("baseline_items", "added_items", "removed_items", "scope_items", "done_items")
    }
    assert counts == {
        "baseline_items": 5,
        "added_items": 2,
        "removed_items": 3,
        "scope_items": 4,
        "done_items": 1,
    }
    assert row["scope_change_pct"] == pytest.approx(1.0)  # (2 + 3) / 5
    assert row["pct_complete"] == pytest.approx(0.25)
    assert row["remaining_items"] == 3


def test_only_completed_counts_as_done(con: duckdb.DuckDBPyConnection) -> None:
    done = {
        row["title"] for row in rows(con, "SELECT title FROM marts.work_items WHERE resolution = 'completed'")
    }
    assert done == {"done"}
    resolutions = dict(
        con.execute("SELECT title, resolution FROM marts.work_items WHERE status = 'closed'").fetchall()
    )
    assert resolutions == {"done": "completed", "dropped": "not_planned", "dup": "duplicate"}


def test_work_items_list_current_milestones(con: duckdb.DuckDBPyConnection) -> None:
    milestone_ids = dict(con.execute("SELECT title, milestone_ids FROM marts.work_items").fetchall())
    (milestone_id,) = con.execute("SELECT milestone_id FROM marts.milestones").fetchone()
    assert milestone_ids["removed"] == []
    assert milestone_ids["dropped"] == [milestone_id]  # not_planned leaves the scope, not the milestone
    assert milestone_ids["planned"] == [milestone_id]
