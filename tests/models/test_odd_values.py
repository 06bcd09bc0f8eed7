"""Values that mean nothing (finding 3 of issue 10) become null in the marts, are listed by the WARN
check source_data_oddities, and never fail a blocking check.

Jira project ODD, as_of 2026-03-02 12:00 UTC:
- 5.0, released, due 2026-02-20: ODD-1 (-1 points, "not estimated", resolved 02-10), ODD-2 (3 points,
  resolved 02-12), ODD-3 (5 points, estimate -3600 s, created 02-01 and already done with a
  resolutiondate of 01-15, before it existed) → points 3 + 5 = 8 of 8; completed at the last
  resolution that means something, 02-12.
- 5.1, open, due 2026-03-20: ODD-4 (-1 points, resolved 02-20), ODD-5 (2 points, open) → 0 of 2
  points done (main summed -1 of 1: pct_complete_points -1.0, a failed blocking check, nothing
  published).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from github_builder import GitHubRecords, completion, failing_checks, rows, summary_of
from jira_builder import DONE, JiraRecords, built, jira_time

from pipelines import report
from pipelines.defs import checks


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    jira = JiraRecords()
    v50 = jira.version("ODD", "5.0", due="2026-02-20", released=True)
    jira.issue("ODD", created="2026-01-20", resolved="2026-02-10", points=-1, fix_versions=(v50,))
    jira.issue("ODD", created="2026-01-20", resolved="2026-02-12", points=3, fix_versions=(v50,))
    imported = jira.issue("ODD", created="2026-02-01", points=5, fix_versions=(v50,))
    imported["fields"] |= {
        "status": DONE,
        "resolution": {"name": "Done"},
        "resolutiondate": jira_time("2026-01-15"),
        "timeoriginalestimate": -3600,
    }
    v51 = jira.version("ODD", "5.1", due="2026-03-20")
    jira.issue("ODD", created="2026-02-01", resolved="2026-02-20", points=-1, fix_versions=(v51,))
    jira.issue("ODD", created="2026-02-01", points=2, fix_versions=(v51,))
    return built(tmp_path_factory.mktemp("odd") / "work.duckdb", GitHubRecords(), jira)


def item(con: duckdb.DuckDBPyConnection, key: str) -> dict[str, Any]:
    (row,) = rows(con, "SELECT * FROM marts.work_items WHERE key = ?", key)
    return row


def test_meaningless_values_are_null_in_work_items(con: duckdb.DuckDBPyConnection) -> None:
    assert (item(con, "ODD-1")["story_points"], item(con, "ODD-2")["story_points"]) == (None, 3.0)
    imported = item(con, "ODD-3")
    assert (imported["story_points"], imported["original_estimate_seconds"]) == (5.0, None)
    assert (imported["resolved_at"], imported["lead_time_days"]) == (None, None)


def test_they_never_reach_a_sum_or_ratio(con: duckdb.DuckDBPyConnection) -> None:
    released = completion(con, "name", "5.0")
    assert (released["scope_points"], released["done_points"], released["estimate_seconds"]) == (
        8.0,
        8.0,
        None,
    )
    assert (released["completed_at"], released["status"]) == (
        datetime(2026, 2, 12, tzinfo=UTC),
        "done_on_time",
    )
    planned = completion(con, "name", "5.1")
    assert (planned["scope_points"], planned["done_points"], planned["pct_complete_points"]) == (
        2.0,
        0.0,
        0.0,
    )
    burnup = rows(
        con,
        "SELECT max(scope_points) AS scope, max(done_points) AS done FROM marts.milestone_burnup b "
        "JOIN marts.milestones m USING (milestone_id) WHERE m.name = '5.1'",
    )
    assert burnup == [{"scope": 2.0, "done": 0.0}]


def test_the_warn_check_lists_each_value_and_no_blocking_check_fails(con: duckdb.DuckDBPyConnection) -> None:
    assert checks.ODDITIES_CHECK.severity.value == "WARN"
    assert con.execute(checks.ODDITIES_CHECK.sql).fetchall() == [
        ("jira", "ODD-1", "story_points", "-1"),
        ("jira", "ODD-3", "original_estimate_seconds", "-3600"),
        ("jira", "ODD-3", "resolved_at", "2026-01-15T00:00:00Z"),
        ("jira", "ODD-4", "story_points", "-1"),
    ]
    assert failing_checks(con) == []


def test_the_summary_names_the_odd_values(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    assert summary_of(con, tmp_path).endswith(
        "\ncheck source_data_oddities: 4 odd values (story_points -1 on ODD-1, original_estimate_seconds -3600 on "
        "ODD-3, resolved_at 2026-01-15T00:00:00Z on ODD-3, story_points -1 on ODD-4), null in marts.work_items"
    )


def test_the_summary_lists_five_and_counts_the_rest() -> None:
    with duckdb.connect() as con:
        con.execute("CREATE SCHEMA intermediate")
        con.execute(
            "CREATE TABLE intermediate.source_data_oddities AS SELECT 'jira' AS source, 'P' AS project, "
            "'P-' || i AS key, 'story_points' AS field, '-1' AS raw_value FROM range(1, 8) t(i)"
        )
        assert report.oddity_lines(con) == [
            "check source_data_oddities: 7 odd values (story_points -1 on P-1, story_points -1 on P-2, story_points "
            "-1 on P-3, story_points -1 on P-4, story_points -1 on P-5, and 2 more), null in marts.work_items"
        ]
