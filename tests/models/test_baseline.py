"""baseline_at (finding 4 of issue 10): the milestone's start when it has one, else the later of its
creation and the first item joining it, plus the grace period (1 day), as an instant.

- acme/plan 'Planned late' (GitHub, no start): created 2026-01-05 09:00 and empty; ten issues put in
  it 25 hours later, 2026-01-06 10:00, one more 2026-01-20 → baseline_at 2026-01-07 10:00, 10 in the
  baseline, 1 added, scope change 1/10 = 0.1 (not 0 planned and +1100%).
- SPR 'Sprint 7' (Jira): started 2026-01-05 01:30 → baseline_at 2026-01-06 01:30; an issue that
  joined at 00:25 that day is in the baseline, one that joined at 02:00 was added: 1/1 = 1.0.
"""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pytest
from github_builder import GitHubRecords, completion
from jira_builder import JiraRecords, built


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    gh, jira = GitHubRecords(), JiraRecords()
    plan = gh.milestone("acme/plan", "Planned late", created="2026-01-05T09:00", due="2026-03-20")
    for _ in range(10):
        issue = gh.issue("acme/plan", created="2026-01-02", milestone=plan)
        gh.milestoned("acme/plan", issue, plan, "2026-01-06T10:00")
    later = gh.issue("acme/plan", created="2026-01-20", milestone=plan)
    gh.milestoned("acme/plan", later, plan, "2026-01-20T12:00")
    sprint = jira.sprint("SPR", "Sprint 7", start="2026-01-05T01:30", end="2026-03-19", created="2026-01-01")
    for joined in ("2026-01-06T00:25", "2026-01-06T02:00"):
        jira.join_sprint(jira.issue("SPR", created="2026-01-02"), sprint, joined)
    return built(tmp_path_factory.mktemp("baseline") / "work.duckdb", gh, jira)


def scope(row: dict) -> tuple:
    return (
        row["baseline_at"],
        row["baseline_items"],
        row["added_items"],
        row["scope_items"],
        row["scope_change_pct"],
    )


def test_a_milestone_planned_after_its_creation_has_its_plan_as_baseline(
    con: duckdb.DuckDBPyConnection,
) -> None:
    row = completion(con, "name", "Planned late")
    assert scope(row) == (datetime(2026, 1, 7, 10, tzinfo=UTC), 10, 1, 11, 0.1)


def test_a_start_instant_is_the_baseline_not_its_midnight(con: duckdb.DuckDBPyConnection) -> None:
    row = completion(con, "name", "Sprint 7")
    assert scope(row) == (datetime(2026, 1, 6, 1, 30, tzinfo=UTC), 1, 1, 2, 1.0)
