"""The whole pipeline against the GitHub emulator over real HTTP, through Dagster, into real DuckDB files."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb

from pipelines.config import Config
from pipelines.landing import landed
from tests.pipeline.conftest import AS_OF, Harness

RAW_TABLES = ("github_issues", "github_pull_requests", "github_milestones", "github_issue_events")


def raw_fingerprint(config: Config, tables: tuple[str, ...] = RAW_TABLES) -> dict[str, tuple]:
    """Row count and a hash of every raw row (synced_at included), per raw table of the landings."""
    with landed(config) as con:
        return {
            table: con.execute(
                f"SELECT count(*), sum(hash(source, id, data::VARCHAR, synced_at, deleted_at)) FROM raw.{table}"
            ).fetchone()
            for table in tables
        }


def test_first_run_publishes_every_status(harness: Harness) -> None:
    outcome = harness.run()
    assert outcome.published
    with duckdb.connect(str(harness.config.warehouse), read_only=True) as con:
        statuses = {
            row[0] for row in con.execute("SELECT DISTINCT status FROM marts.project_completion").fetchall()
        }
        assert {"on_track", "overdue", "done_on_time", "done_late", "no_due_date"} <= statuses
        assert statuses & {"slipping", "at_risk"}
        # Pull requests are split off: none in work items, all in pull_requests.
        assert (
            con.execute(
                "SELECT count(*) FROM raw.github_issues WHERE data->>'pull_request' IS NOT NULL"
            ).fetchone()[0]
            == 0
        )
        assert con.execute("SELECT count(*) FROM marts.pull_requests").fetchone()[0] > 0
        runs = con.execute(
            "SELECT source, status, requests, records FROM ops.sync_runs WHERE source_type = 'github'"
        ).fetchall()
        assert (
            [(r[0], r[1]) for r in runs] == [("demo-github", "success")] and runs[0][2] > 0 and runs[0][3] > 0
        )
    expected = sum(
        1
        for repo in harness.org.github.repos.values()
        for issue in repo.issues.values()
        if issue.pull is None
    )
    with duckdb.connect(str(harness.config.warehouse), read_only=True) as con:
        assert (
            con.execute("SELECT count(*) FROM marts.work_items WHERE source_type = 'github'").fetchone()[0]
            == expected
        )


def test_first_run_omits_since(harness: Harness) -> None:
    harness.run()
    issues = [e for e in harness.github_log() if e["path"].endswith("/issues")]
    first = {e["path"]: e for e in reversed(issues)}  # each repo's first issues request
    assert first and all("since" not in e["query"] for e in first.values())
    # Later pages ask `since` the newest issue already read, never a "no cursor" epoch.
    assert all(not e["query"].get("since", "2").startswith("1970") for e in issues)


def test_unchanged_second_run_costs_one_request_per_repo_and_stream(harness: Harness) -> None:
    harness.run()
    before = raw_fingerprint(harness.config)
    for _ in range(2):  # the second rerun asks the very same URLs again: all 304
        harness.server.reset_log()
        harness.run()
        counts = harness.requests_by_stream()
        assert len(counts) == 3 * 4 and max(counts.values()) == 1, counts
        assert raw_fingerprint(harness.config) == before
    assert {e["status"] for e in harness.github_log()} == {304}


def test_second_run_fetches_only_what_changed(harness: Harness) -> None:
    harness.run()
    web = harness.org.github.repo("acme/web")
    harness.org.advance(hours=6)
    number = next(n for n, i in sorted(web.issues.items()) if i.state == "open" and i.pull is None)
    web.update_issue(number, title="Renamed after the first sync")
    harness.server.reset_log()
    harness.run(as_of=AS_OF + timedelta(hours=7))
    issue_calls = [e for e in harness.server.request_log if e["path"] == "/github/repos/acme/web/issues"]
    assert len(issue_calls) == 1 and "since" in issue_calls[0]["query"]
    with duckdb.connect(str(harness.config.warehouse), read_only=True) as con:
        title = con.execute(
            "SELECT title FROM marts.work_items WHERE key = ?", [f"acme/web#{number}"]
        ).fetchone()[0]
        changed = con.execute(
            "SELECT records FROM ops.sync_runs WHERE source = 'demo-github' ORDER BY started_at DESC LIMIT 1"
        ).fetchone()[0]
    assert title == "Renamed after the first sync"
    assert changed < 20  # the changed issue, its event and the overlap window, not the whole repo


def test_small_pages_are_followed_through_link_headers(emulated, tmp_path: Path) -> None:
    paged = Harness(*emulated, tmp_path, per_page=25)
    paged.run()
    counts = paged.requests_by_stream()
    # Pages after the first come from the Link header: /repositories/{id}/...
    assert any(key[1] == "pulls" and not key[0].startswith("acme/") for key in counts)
    assert any(key[1] == "issues" and not key[0].startswith("acme/") for key in counts)
    with duckdb.connect(str(paged.config.warehouse), read_only=True) as con:
        items = con.execute(
            "SELECT count(*), count(DISTINCT work_item_id) FROM marts.work_items WHERE source_type = 'github'"
        ).fetchone()
    expected = sum(
        1 for repo in paged.org.github.repos.values() for issue in repo.issues.values() if issue.pull is None
    )
    assert items == (expected, expected)


def test_schedule_check_warns_with_the_offending_milestones(harness: Harness) -> None:
    outcome = harness.run()
    [check] = [c for c in outcome.failed_checks if c.check_name == "milestones_on_schedule"]
    assert check.severity.value == "WARN"
    table = check.metadata["rows"].value
    with duckdb.connect(str(harness.config.warehouse), read_only=True) as con:
        expected = con.execute(
            "SELECT name FROM marts.project_completion WHERE state = 'open' AND status IN ('at_risk', 'slipping', 'overdue')"
        ).fetchall()
        on_track = con.execute(
            "SELECT name FROM marts.project_completion WHERE status = 'on_track'"
        ).fetchall()
    assert check.metadata["offending_rows"].value == len(expected) > 0
    assert all(f"| {name} |" in table for (name,) in expected)
    assert not any(f"| {name} |" in table for (name,) in on_track)
    # Data-quality checks all passed, so the run published; the demo's -1 points are a WARN.
    assert sorted(c.check_name for c in outcome.failed_checks) == [
        "milestones_on_schedule",
        "releases_healthy",
        "source_data_oddities",
    ]
    assert outcome.published


def work_item_keys(database: Path) -> set[str]:
    with duckdb.connect(str(database), read_only=True) as con:
        return {row[0] for row in con.execute("SELECT key FROM marts.work_items").fetchall()}


def test_deleted_issue_leaves_the_marts_after_a_full_refresh_census(harness: Harness) -> None:
    harness.run()
    web = harness.org.github.repo("acme/web")
    number = next(n for n, i in sorted(web.issues.items()) if i.pull is None)
    web.delete_issue(number)
    harness.run()  # incremental: a deleted issue leaves no trace in the lists
    assert f"acme/web#{number}" in work_item_keys(harness.config.warehouse)
    harness.server.reset_log()
    harness.run(full_refresh=True)
    assert f"acme/web#{number}" not in work_item_keys(harness.config.warehouse)
    with landed(harness.config) as con:
        kept = con.execute(
            "SELECT deleted_at IS NOT NULL FROM raw.github_issues WHERE data->>'number' = ? AND scope = 'acme/web'",
            [str(number)],
        ).fetchall()
    assert kept == [(True,)]  # kept in raw, marked deleted


def test_census_runs_on_its_cadence(emulated, tmp_path: Path) -> None:
    quick = Harness(*emulated, tmp_path, census_days=1e-9)
    quick.run()
    first_census = [
        e
        for e in quick.server.request_log
        if e["path"].endswith("/issues") and e["query"].get("state") == "all" and "sort" not in e["query"]
    ]
    assert first_census == []  # the first full read is the census
    api = quick.org.github.repo("acme/api")
    number = next(n for n, i in sorted(api.issues.items()) if i.pull is None)
    api.delete_issue(number)
    quick.run()
    assert f"acme/api#{number}" not in work_item_keys(quick.config.warehouse)


def test_milestones_planned_days_after_creation_keep_their_plan_as_baseline(harness: Harness) -> None:
    harness.run()
    with duckdb.connect(str(harness.config.warehouse), read_only=True) as con:
        found = {
            name.split(" ")[0]: (baseline, added)
            for name, baseline, added in con.execute(
                """
                SELECT name, baseline_items, added_items FROM marts.project_completion
                WHERE source = 'demo-github' AND regexp_matches(name, '^v(\\d+\\.[23]|\\d+\\.0) ')
                """
            ).fetchall()
        }
    # Half scale: vM.2 and vM.3 plan 8 items, one of them added later; vM+1.0 plans 7, one added.
    # Their first items join one, two and three days after creation; vM.0 is planned at once.
    planned = {".2": (7, 1), ".3": (7, 1), ".0": (6, 1)}
    majors = {"web": 3, "api": 1, "mobile": 5}
    expected = {f"v{major}.0": (9, 1) for major in majors.values()} | {
        f"v{major + (suffix == '.0')}{suffix}": counts
        for major in majors.values()
        for suffix, counts in planned.items()
    }
    assert found == expected
