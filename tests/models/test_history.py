"""Status history rebuilt from GitHub issue events, and the lifecycle figures read from it."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest
from github_builder import GitHubRecords, open_warehouse, rows, run

REPO = "acme/history"


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    gh = GitHubRecords()
    reopened = gh.issue(REPO, created="2026-01-01", closed="2026-01-08", assignee="ann", title="reopened")
    gh.event(REPO, reopened, "assigned", "2026-01-02", assignee={"login": "ann"})
    gh.event(REPO, reopened, "closed", "2026-01-05", state_reason="completed")
    gh.event(REPO, reopened, "reopened", "2026-01-06")
    gh.event(REPO, reopened, "closed", "2026-01-08", state_reason="completed")
    labelled = gh.issue(REPO, created="2026-01-01", title="labelled")
    gh.event(REPO, labelled, "labeled", "2026-01-03", label={"name": "In Progress"})
    gh.event(REPO, labelled, "unlabeled", "2026-01-04", label={"name": "In Progress"})
    gh.event(REPO, labelled, "labeled", "2026-01-04T01:00", label={"name": "bug"})
    gh.issue(REPO, created="2026-01-01", closed="2026-01-09", title="closed without events")
    scoped = gh.issue(REPO, created="2026-01-01", labels=("workflow::Doing",), title="scoped label")
    gh.event(REPO, scoped, "labeled", "2026-01-02", label={"name": "workflow::Doing"})
    assigned = gh.issue(REPO, created="2026-01-01", assignee="bob", title="created assigned")
    gh.event(REPO, assigned, "assigned", "2026-01-01", assignee={"login": "bob"})
    pull = gh.issue(REPO, created="2026-01-01", title="a pull request")
    pull["pull_request"] = {"url": f"https://api.github.com/repos/{REPO}/pulls/{pull['number']}"}
    gh.event(REPO, pull, "closed", "2026-01-02")
    con = open_warehouse(tmp_path_factory.mktemp("history") / "work.duckdb")
    gh.land(con)
    run(con)
    return con


def history(con: duckdb.DuckDBPyConnection, title: str) -> list[tuple[str, str, str, str | None]]:
    found = rows(
        con,
        """
        SELECT h.* FROM marts.work_item_history h JOIN marts.work_items w USING (work_item_id)
        WHERE w.title = ? ORDER BY h.valid_from
        """,
        title,
    )
    return [
        (
            r["status"],
            r["status_category"],
            str(r["valid_from"].date()),
            r["valid_to"] and str(r["valid_to"].date()),
        )
        for r in found
    ]


def work_item(con: duckdb.DuckDBPyConnection, title: str) -> dict[str, Any]:
    (row,) = rows(con, "SELECT * FROM marts.work_items WHERE title = ?", title)
    return row


def test_history_intervals_follow_events_and_end_open(con: duckdb.DuckDBPyConnection) -> None:
    assert history(con, "reopened") == [
        ("open", "todo", "2026-01-01", "2026-01-02"),
        ("open", "in_progress", "2026-01-02", "2026-01-05"),
        ("closed", "done", "2026-01-05", "2026-01-06"),
        ("open", "in_progress", "2026-01-06", "2026-01-08"),
        ("closed", "done", "2026-01-08", None),
    ]


def test_lifecycle_of_a_reopened_item(con: duckdb.DuckDBPyConnection) -> None:
    item = work_item(con, "reopened")
    assert (str(item["started_at"].date()), str(item["resolved_at"].date())) == ("2026-01-02", "2026-01-08")
    assert item["reopened_count"] == 1
    assert item["lead_time_days"] == pytest.approx(7.0)
    assert item["cycle_time_days"] == pytest.approx(6.0)


def test_in_progress_label_is_matched_case_insensitively(con: duckdb.DuckDBPyConnection) -> None:
    assert history(con, "labelled") == [
        ("open", "todo", "2026-01-01", "2026-01-03"),
        ("open", "in_progress", "2026-01-03", "2026-01-04"),
        ("open", "todo", "2026-01-04", None),
    ]
    item = work_item(con, "labelled")
    assert (item["resolved_at"], item["lead_time_days"], item["reopened_count"]) == (None, None, 0)


def test_a_scoped_labels_value_counts_in_history_and_current_state(con: duckdb.DuckDBPyConnection) -> None:
    # 'doing' is an in-progress label of the default mapping; the history ends where the issue is.
    assert history(con, "scoped label") == [
        ("open", "todo", "2026-01-01", "2026-01-02"),
        ("open", "in_progress", "2026-01-02", None),
    ]
    assert work_item(con, "scoped label")["status_category"] == "in_progress"


def test_current_state_completes_missing_events(con: duckdb.DuckDBPyConnection) -> None:
    assert history(con, "closed without events") == [
        ("open", "todo", "2026-01-01", "2026-01-09"),
        ("closed", "done", "2026-01-09", None),
    ]
    item = work_item(con, "closed without events")
    assert item["started_at"] is None and item["cycle_time_days"] is None
    assert item["lead_time_days"] == pytest.approx(8.0)


def test_an_item_created_assigned_starts_in_progress(con: duckdb.DuckDBPyConnection) -> None:
    assert history(con, "created assigned") == [("open", "in_progress", "2026-01-01", None)]
    assert work_item(con, "created assigned")["status_category"] == "in_progress"


def test_pull_requests_and_their_events_are_not_work_items(con: duckdb.DuckDBPyConnection) -> None:
    assert rows(con, "SELECT * FROM marts.work_items WHERE title = 'a pull request'") == []
    assert con.execute(
        "SELECT count(*) FROM staging.github__issue_events WHERE event = 'closed'"
    ).fetchone() == (2,)
