"""Closed is not done (finding 2 of issue 10): a milestone closed or released with items not done is
`closed_incomplete`, counts what it had done when it closed, and carries the rest over.

as_of is Monday 2026-03-02 12:00 UTC.

- acme/sprint 'Sprint 4' (GitHub), due 2026-01-20, closed 2026-01-19 with 5 items: 2 closed
  01-10, 1 closed 01-25 (after the sprint closed: carried over, done later), 2 still open → 2 of 5
  done, 3 carried over, on time by its date but closed_incomplete.
- REL '3.0' (Jira), due 2026-02-10, released: 3 issues resolved 02-05, 1 unresolved → completed
  02-05 (its last resolution), 1 carried over, not delivered on time. REL '2.9', due 2026-01-31,
  released, its one issue resolved 01-20 → done_on_time. The portfolio's on-time rate for REL is
  1 done_on_time of 2 closed with a due date = 0.5.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from github_builder import GitHubRecords, completion, failing_checks, rows, summary_of
from jira_builder import JiraRecords, built


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    gh, jira = GitHubRecords(), JiraRecords()
    sprint = gh.milestone(
        "acme/sprint", "Sprint 4", created="2026-01-01", due="2026-01-20", closed="2026-01-19"
    )
    for closed in ("2026-01-10", "2026-01-10", "2026-01-25", None, None):
        gh.issue("acme/sprint", created="2026-01-02", closed=closed, milestone=sprint)
    v30 = jira.version("REL", "3.0", due="2026-02-10", released=True)
    for _ in range(3):
        jira.issue("REL", created="2026-01-20", resolved="2026-02-05", fix_versions=(v30,))
    jira.issue("REL", created="2026-01-20", fix_versions=(v30,))
    v29 = jira.version("REL", "2.9", due="2026-01-31", released=True)
    jira.issue("REL", created="2026-01-05", resolved="2026-01-20", fix_versions=(v29,))
    return built(tmp_path_factory.mktemp("closed_incomplete") / "work.duckdb", gh, jira)


def test_a_sprint_closed_with_items_not_done_is_closed_incomplete(con: duckdb.DuckDBPyConnection) -> None:
    row = completion(con, "name", "Sprint 4")
    assert (row["status"], row["status_reason"]) == ("closed_incomplete", "closed with 3 of 5 items not done")
    assert (row["scope_items"], row["done_items"], row["carried_over_items"], row["pct_complete"]) == (
        5,
        2,
        3,
        0.4,
    )
    assert (row["completed_at"], row["on_time"], row["days_late"]) == (
        datetime(2026, 1, 19, tzinfo=UTC),
        True,
        None,
    )


def test_a_version_released_with_unresolved_items_is_not_delivered_on_time(
    con: duckdb.DuckDBPyConnection,
) -> None:
    row = completion(con, "name", "3.0")
    assert (row["status"], row["status_reason"]) == (
        "closed_incomplete",
        "released with 1 of 4 items not done",
    )
    assert (row["done_items"], row["carried_over_items"], row["on_time"]) == (3, 1, True)
    assert row["completed_at"] == datetime(2026, 2, 5, tzinfo=UTC)
    (outcome,) = rows(con, "SELECT * FROM marts.product_outcomes WHERE name = '3.0'")
    assert (outcome["items_delivered"], outcome["delivered_on_time"]) == (3, False)
    assert outcome["outcome_failed_despite_on_time"] is False


def test_a_milestone_done_in_full_carries_nothing_over(con: duckdb.DuckDBPyConnection) -> None:
    row = completion(con, "name", "2.9")
    assert (row["status"], row["carried_over_items"]) == ("done_on_time", 0)


def test_portfolio_counts_closed_incomplete_against_the_on_time_rate(con: duckdb.DuckDBPyConnection) -> None:
    found = rows(
        con, "SELECT project, closed_incomplete, done_on_time_rate FROM marts.portfolio ORDER BY project"
    )
    assert found == [
        {"project": "REL", "closed_incomplete": 1, "done_on_time_rate": 0.5},
        {"project": "acme/sprint", "closed_incomplete": 1, "done_on_time_rate": 0.0},
    ]
    assert failing_checks(con) == []


def test_summary_lists_closed_incomplete_with_the_items_carried_over(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    text = summary_of(con, tmp_path)
    assert "  gh acme/sprint\n    milestones: 1 closed_incomplete\n" in text
    assert "  jira REL\n    milestones: 1 done_on_time, 1 closed_incomplete\n" in text
    assert (
        "Closed with items not done (2):\n"
        "  closed_incomplete REL '3.0': released with 1 of 4 items not done, 1 carried over\n"
        "  closed_incomplete acme/sprint 'Sprint 4': closed with 3 of 5 items not done, 3 carried over"
    ) in text
