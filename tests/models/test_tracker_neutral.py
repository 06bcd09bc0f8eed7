"""Tracker-neutral models and checks (finding 6 of issue 10): only a tracker's own staging folder
names it; what a milestone means comes from its columns (state, closed_at), never from its kind.

Scenario: Jira version 2.0, due 2026-02-10, released (Jira overwrote releaseDate: 2026-02-10), with
two issues resolved 2026-02-03 and 2026-02-05 → completed 2026-02-05, on time by 5 days.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from github_builder import GitHubRecords, completion, params, rows
from jira_builder import JiraRecords, built

from connectors import CONNECTORS
from pipelines import models
from pipelines.defs import checks

TRACKER_NAME = re.compile("|".join(CONNECTORS), re.IGNORECASE)


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    jira = JiraRecords()
    version = jira.version("REL", "2.0", due="2026-02-10", released=True)
    jira.issue("REL", created="2026-01-20", resolved="2026-02-03", fix_versions=(version,))
    jira.issue("REL", created="2026-01-21", resolved="2026-02-05", fix_versions=(version,))
    return built(tmp_path / "work.duckdb", GitHubRecords(), jira)


def rebuild_on_staging(con: duckdb.DuckDBPyConnection) -> None:
    """Build the intermediate and marts models again, on the staging tables as they are now."""
    for model in models.discover():
        if model.schema in ("intermediate", "marts"):
            models.build(con, model, params())


def test_no_sql_outside_a_trackers_staging_folder_names_a_tracker() -> None:
    staging = models.MODELS_DIR / "staging"
    offenders = [
        f"{path.relative_to(models.MODELS_DIR)}: {match.group(0)}"
        for path in sorted(models.MODELS_DIR.rglob("*.sql"))
        if path.parent == staging or staging not in path.parents
        for match in TRACKER_NAME.finditer(models.LINE_COMMENT.sub("", path.read_text(encoding="utf-8")))
    ]
    assert offenders == []
    every_check = (checks.SCHEDULE_CHECK, checks.RELEASES_CHECK, checks.ODDITIES_CHECK, *checks.DATA_QUALITY)
    assert [check.name for check in every_check if TRACKER_NAME.search(check.sql)] == []


def test_a_released_milestone_of_any_kind_completes_at_its_last_resolution(
    con: duckdb.DuckDBPyConnection,
) -> None:
    con.execute("UPDATE staging.milestones SET kind = 'cycle'")
    rebuild_on_staging(con)
    row = completion(con, "name", "2.0")
    assert (row["kind"], row["completed_at"]) == ("cycle", datetime(2026, 2, 5, tzinfo=UTC))
    assert (row["status"], row["status_reason"]) == (
        "done_on_time",
        "completed 2026-02-05, 5 days before due 2026-02-10",
    )


def test_a_new_trackers_milestone_kind_passes_the_blocking_checks(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("UPDATE marts.milestones SET kind = 'cycle'")
    (unique_ids,) = [check for check in checks.DATA_QUALITY if check.name == "unique_milestone_ids"]
    assert rows(con, unique_ids.sql) == []
    con.execute("UPDATE marts.milestones SET state = 'shipped'")
    assert len(rows(con, unique_ids.sql)) == 1
