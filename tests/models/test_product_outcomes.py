"""marts.product_outcomes: one delivered milestone per repo, each built to land on one outcome rule,
and defect attribution by Jira affects version against the release window.

as_of is Monday 2026-03-02 12:00 UTC; the post-release window is 30 days, customer_open_days 14.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
from github_builder import GitHubRecords, failing_checks, rows, summary_of
from jira_builder import JiraRecords, built

from pipelines.defs import checks


def delivered(gh: GitHubRecords, repo: str, items: int, *, closed: str, due: str) -> dict[str, Any]:
    """A milestone closed at `closed` whose `items` issues were all completed the day before."""
    milestone = gh.milestone(repo, "Release", created="2025-12-01", due=due, closed=closed)
    for _ in range(items):
        gh.issue(repo, created="2025-12-02", closed="2026-01-01", milestone=milestone)
    return milestone


def bug(gh: GitHubRecords, repo: str, created: str, **fields: Any) -> dict[str, Any]:
    labels = ("bug", "customer") if fields.pop("customer", False) else ("bug",)
    return gh.issue(repo, created=created, labels=labels, **fields)


def github_scenarios(gh: GitHubRecords) -> None:
    # 2 defects for 4 items (0.5 > 0.25), delivered on time: the outcome failed despite it.
    delivered(gh, "acme/rate", 4, closed="2026-01-15", due="2026-01-20")
    bug(gh, "acme/rate", "2026-01-20")
    bug(gh, "acme/rate", "2026-01-25", closed="2026-01-29")
    bug(gh, "acme/rate", "2026-01-26", closed="2026-01-27", reason="duplicate")  # not a defect
    bug(gh, "acme/rate", "2026-02-20")  # after the window
    gh.issue("acme/rate", created="2026-01-21")  # not a bug
    # 1 defect for 10 items, but from a customer and open for 49 days; delivered late.
    delivered(gh, "acme/customer", 10, closed="2026-01-10", due="2026-01-05")
    bug(gh, "acme/customer", "2026-01-12", customer=True)
    # 1 defect for 5 items (0.2 > 0.10), fixed in 5 days.
    delivered(gh, "acme/watch", 5, closed="2026-01-10", due="2026-01-31")
    bug(gh, "acme/watch", "2026-01-15", closed="2026-01-20")
    # 3 items, one reopened after the release and still open.
    milestone = delivered(gh, "acme/reopened", 3, closed="2026-01-10", due="2026-01-31")
    (first, *_) = gh.streams["issues"]["acme/reopened"]
    first.update(state="open", state_reason=None, closed_at=None)
    gh.event("acme/reopened", first, "closed", "2026-01-01")
    gh.event("acme/reopened", first, "reopened", "2026-01-20")
    assert first["milestone"] is milestone
    # 1 defect for 20 items.
    delivered(gh, "acme/healthy", 20, closed="2026-01-10", due="2026-01-31")
    bug(gh, "acme/healthy", "2026-01-11", closed="2026-01-12")
    # Released 10 days before as_of: the window runs until 2026-03-22.
    delivered(gh, "acme/recent", 2, closed="2026-02-20", due="2026-02-28")


def jira_scenarios(jira: JiraRecords) -> None:
    """PAY: 1.0 released 2026-01-10, 1.1 on 2026-01-25. A bug created after both that names 1.0 is
    1.0's; one that names nothing falls to the latest release, 1.1."""
    v10 = jira.version("PAY", "1.0", due="2026-01-10", released=True)
    v11 = jira.version("PAY", "1.1", due="2026-01-25", released=True)
    for _ in range(4):
        jira.issue("PAY", created="2026-01-02", resolved="2026-01-09T10:00", fix_versions=(v10,))
        jira.issue("PAY", created="2026-01-12", resolved="2026-01-24T10:00", fix_versions=(v11,))
    jira.issue("PAY", created="2026-01-28", issue_type="Bug", affects=(v10,))
    jira.issue("PAY", created="2026-01-28", issue_type="Bug")


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    gh, jira = GitHubRecords(), JiraRecords()
    github_scenarios(gh)
    jira_scenarios(jira)
    return built(tmp_path_factory.mktemp("outcomes") / "work.duckdb", gh, jira)


def outcome(con: duckdb.DuckDBPyConnection, project: str, name: str = "Release") -> dict[str, Any]:
    (row,) = rows(con, "SELECT * FROM marts.product_outcomes WHERE project = ? AND name = ?", project, name)
    return row


def test_escaped_defect_rate_above_a_quarter_fails_despite_on_time(con: duckdb.DuckDBPyConnection) -> None:
    row = outcome(con, "acme/rate")
    assert (row["items_delivered"], row["post_release_defects"], row["escaped_defect_rate"]) == (4, 2, 0.5)
    assert (row["outcome_status"], row["delivered_on_time"], row["outcome_failed_despite_on_time"]) == (
        "failing",
        True,
        True,
    )
    assert row["outcome_reason"] == "escaped defect rate 0.5 (2 defects for 4 items) is above 0.25"
    assert row["defect_fix_days_p50"] == 4.0  # the one resolved defect: 2026-01-25 → 2026-01-29
    assert row["window_complete"] is True


def test_customer_defect_open_past_14_days_fails(con: duckdb.DuckDBPyConnection) -> None:
    row = outcome(con, "acme/customer")
    assert (
        row["post_release_defects"],
        row["customer_reported_defects"],
        row["overdue_customer_defects"],
    ) == (
        1,
        1,
        1,
    )
    assert row["escaped_defect_rate"] == pytest.approx(0.1)  # not above 0.10: the customer decides
    assert row["outcome_status"] == "failing"
    assert row["outcome_reason"] == "1 customer defect open more than 14 days"
    # delivered late: failing, but not "despite on time"
    assert (row["delivered_on_time"], row["outcome_failed_despite_on_time"]) == (False, False)
    assert row["defect_fix_days_p50"] is None


def test_escaped_defect_rate_above_a_tenth_is_watch(con: duckdb.DuckDBPyConnection) -> None:
    row = outcome(con, "acme/watch")
    assert (row["escaped_defect_rate"], row["outcome_status"]) == (0.2, "watch")
    assert row["outcome_reason"] == "escaped defect rate 0.2 (1 defect for 5 items) is above 0.10"
    assert row["defect_fix_days_p50"] == 5.0


def test_item_reopened_after_release_is_watch(con: duckdb.DuckDBPyConnection) -> None:
    row = outcome(con, "acme/reopened")
    assert (row["reopened_after_release"], row["outcome_status"]) == (1, "watch")
    assert row["items_delivered"] == 3  # measured at the release, when the reopened item was done
    assert row["outcome_reason"] == "1 item reopened after release"


def test_few_defects_is_healthy(con: duckdb.DuckDBPyConnection) -> None:
    row = outcome(con, "acme/healthy")
    assert (row["escaped_defect_rate"], row["outcome_status"], row["window_complete"]) == (
        0.05,
        "healthy",
        True,
    )
    assert row["outcome_reason"] == "escaped defect rate 0.05 (1 defect for 20 items)"
    assert row["outcome_failed_despite_on_time"] is False
    # every delivered item was created 2025-12-02 and closed 2026-01-01: 30 days
    assert (row["lead_time_p50_days"], row["lead_time_p85_days"]) == (30.0, 30.0)


def test_recent_release_has_an_incomplete_window(con: duckdb.DuckDBPyConnection) -> None:
    row = outcome(con, "acme/recent")
    assert (row["window_complete"], row["outcome_status"]) == (False, "healthy")
    assert (
        row["outcome_reason"]
        == "escaped defect rate 0.0 (0 defects for 2 items); provisional until 2026-03-22"
    )


def test_affects_version_wins_over_the_release_window(con: duckdb.DuckDBPyConnection) -> None:
    found = {
        row["name"]: (
            row["released_at"].date().isoformat(),
            row["items_delivered"],
            row["post_release_defects"],
        )
        for row in rows(con, "SELECT * FROM marts.product_outcomes WHERE project = 'PAY'")
    }
    # a released version is delivered at its last resolution
    assert found == {"1.0": ("2026-01-09", 4, 1), "1.1": ("2026-01-24", 4, 1)}
    rules = rows(
        con,
        """
        SELECT m.name, a.rule FROM intermediate.defect_attribution a JOIN marts.milestones m USING (milestone_id)
        WHERE m.project = 'PAY' ORDER BY m.name
        """,
    )
    assert rules == [{"name": "1.0", "rule": "affects_version"}, {"name": "1.1", "rule": "release_window"}]


def test_one_row_per_delivered_milestone(con: duckdb.DuckDBPyConnection) -> None:
    (counts,) = rows(
        con,
        """
        SELECT count(*) AS outcomes, count(DISTINCT milestone_id) AS ids,
               (SELECT count(*) FROM marts.project_completion WHERE state <> 'open') AS delivered
        FROM marts.product_outcomes
        """,
    )
    assert counts == {"outcomes": 8, "ids": 8, "delivered": 8}


def test_portfolio_rates_recent_deliveries(con: duckdb.DuckDBPyConnection) -> None:
    found = rows(
        con,
        """
        SELECT project, delivered_milestones_180d, done_on_time_rate, avg_escaped_defect_rate
        FROM marts.portfolio WHERE project IN ('acme/rate', 'acme/customer', 'PAY') ORDER BY project
        """,
    )
    assert found == [
        {"project": "PAY", "delivered_milestones_180d": 2, "done_on_time_rate": 1.0, "avg_escaped_defect_rate": 0.25},
        {"project": "acme/customer", "delivered_milestones_180d": 1, "done_on_time_rate": 0.0, "avg_escaped_defect_rate": 0.1},
        {"project": "acme/rate", "delivered_milestones_180d": 1, "done_on_time_rate": 1.0, "avg_escaped_defect_rate": 0.5},
    ]  # fmt: skip


def test_releases_healthy_lists_failing_releases_and_data_quality_passes(
    con: duckdb.DuckDBPyConnection,
) -> None:
    failing = con.execute(checks.RELEASES_CHECK.sql).fetchall()
    assert [(project, on_time, reason) for project, _, _, on_time, _, reason in failing] == [
        ("acme/rate", True, "escaped defect rate 0.5 (2 defects for 4 items) is above 0.25"),
        ("acme/customer", False, "1 customer defect open more than 14 days"),
    ]
    assert failing_checks(con) == []


def test_summary_shows_statuses_outcomes_and_failures_despite_on_time(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    text = summary_of(con, tmp_path)
    assert "  gh acme/rate\n    milestones: 1 done_on_time\n    delivered, by outcome: 1 failing\n" in text
    assert (
        "    on time, outcome failed: 'Release': escaped defect rate 0.5 (2 defects for 4 items) is above 0.25\n"
        in text
    )
    assert "  jira PAY\n    milestones: 2 done_on_time\n    delivered, by outcome: 2 watch\n" in text
    assert text.count("on time, outcome failed") == 1
