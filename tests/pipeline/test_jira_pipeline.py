"""The pipeline against the Jira emulator (Cloud search/jql), beside GitHub, through Dagster."""

from __future__ import annotations

import duckdb

from tests.pipeline.conftest import Harness
from tests.pipeline.test_github_pipeline import raw_fingerprint, work_item_keys

JIRA_RAW = ("jira_issues", "jira_versions", "jira_sprints")


def test_jira_milestones_carry_points_and_budget(harness: Harness) -> None:
    harness.run()
    longest = harness.org.jira.story.long_histories[0]
    with duckdb.connect(str(harness.config.warehouse), read_only=True) as con:
        kinds = dict(
            con.execute(
                """
                SELECT kind, count(*) FILTER (WHERE scope_points > 0 AND budget_used_pct IS NOT NULL)
                FROM marts.project_completion WHERE source = 'demo-jira' GROUP BY kind
                """
            ).fetchall()
        )
        histories, total = con.execute(
            """
            SELECT json_array_length(data->'changelog'->'histories'), (data->'changelog'->>'total')::INT
            FROM raw.jira_issues WHERE data->>'key' = ?
            """,
            [longest],
        ).fetchone()
    assert kinds["jira_version"] > 0 and kinds["jira_sprint"] > 0
    assert histories == total > 40  # the full changelog, not the 40 newest histories the search embeds


def test_unchanged_jira_second_run_is_one_search_per_project(harness: Harness) -> None:
    harness.run()
    before = (
        raw_fingerprint(harness.config, JIRA_RAW),
        raw_fingerprint(harness.config),
    )
    harness.server.reset_log()
    harness.run()
    jira = [e for e in harness.server.request_log if e["path"].startswith("/jira/")]
    searches = [e for e in jira if e["path"].endswith("/search/jql")]
    changelogs = [e for e in jira if "changelog" in e["path"]]
    assert len(searches) == 2 and not changelogs  # PAY and WEB
    assert (
        raw_fingerprint(harness.config, JIRA_RAW),
        raw_fingerprint(harness.config),
    ) == before


def test_jira_issue_deleted_is_gone_after_the_census(harness: Harness) -> None:
    harness.run()
    site = harness.org.jira
    issue = next(i for i in site.issues.values() if i.key.startswith("WEB-"))
    site.delete_issue(issue.key)
    harness.run(full_refresh=True)
    assert issue.key not in work_item_keys(harness.config.warehouse)
    assert any(key.startswith("WEB-") for key in work_item_keys(harness.config.warehouse))


def test_negative_points_and_estimates_are_a_warning_and_the_run_publishes(harness: Harness) -> None:
    outcome = harness.run()
    story = harness.org.jira.story
    # At half scale: one -1 of 2026.2's two, 2026.5's one, and the "-2d" estimate of 2026.4.
    odd = {(key, "story_points", "-1") for key in story.not_estimated} | {
        (key, "original_estimate_seconds", "-57600") for key in story.negative_estimates
    }
    assert len(odd) == 3
    [check] = [c for c in outcome.failed_checks if c.check_name == "source_data_oddities"]
    assert check.severity.value == "WARN" and check.metadata["offending_rows"].value == 3
    assert outcome.published
    with duckdb.connect(str(harness.config.warehouse), read_only=True) as con:
        listed = set(
            con.execute("SELECT key, field, raw_value FROM intermediate.source_data_oddities").fetchall()
        )
        kept = con.execute(
            "SELECT count(*) FROM marts.work_items WHERE key IN (SELECT unnest(?)) AND story_points IS NULL",
            [story.not_estimated],
        ).fetchone()[0]
    assert listed == odd and kept == len(story.not_estimated)


def test_closing_and_migrating_done_issues_leave_resolutions_where_they_were(harness: Harness) -> None:
    harness.run()
    site = harness.org.jira
    with duckdb.connect(str(harness.config.warehouse), read_only=True) as con:
        resolved = dict(
            con.execute(
                "SELECT key, resolved_at FROM marts.work_items WHERE source = 'demo-jira' AND resolved_at IS NOT NULL"
            ).fetchall()
        )
        released = dict(
            con.execute(
                """
                SELECT project || ' ' || name, status FROM marts.project_completion
                WHERE source = 'demo-jira' AND kind = 'jira_version' AND state = 'released'
                """
            ).fetchall()
        )
    # Jira's resolutiondate is the last move into done from a not-done status: Resolved -> Closed
    # weeks later and the migration night to 已完成 do not move it.
    expected = {issue.key: issue.resolved for issue in site.issues.values() if issue.resolved is not None}
    assert resolved == expected
    assert released == {name: site.story.versions[name] for name in released}
    assert {"done_on_time", "done_late", "closed_incomplete"} <= set(released.values())
