"""GitHub's documented example payloads (tests/fixtures/github/) through staging into the marts."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from github_builder import SOURCE, GitHubRecords, open_warehouse, rows, run

FIXTURES = Path(__file__).parent.parent / "fixtures" / "github"
REPO = "octocat/Hello-World"


def sample(name: str) -> list[dict[str, Any]]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    gh = GitHubRecords()
    (issue,) = sample("list_repo_issues.json")
    # The example issue links a pull request, which the connector would drop: as an issue it must not
    # have that key, so it lands twice: as-is under another id (to be excluded) and as a plain issue.
    gh.add("issues", REPO, {**issue, "id": 2})
    gh.add("issues", REPO, {k: v for k, v in issue.items() if k != "pull_request"})
    for stream, name in (
        ("milestones", "list_milestones.json"),
        ("issue_events", "list_repo_issue_events.json"),
        ("pull_requests", "list_pull_requests.json"),
    ):
        for record in sample(name):
            gh.add(stream, REPO, record)
    con = open_warehouse(tmp_path_factory.mktemp("samples") / "work.duckdb")
    gh.land(con)
    run(con, datetime(2013, 1, 1, tzinfo=UTC))
    return con


def test_issue_becomes_a_work_item(con: duckdb.DuckDBPyConnection) -> None:
    (item,) = rows(con, "SELECT * FROM marts.work_items")
    created = datetime(2011, 4, 22, 13, 33, 48, tzinfo=UTC)
    assert item == {
        "work_item_id": f"{SOURCE}:1",
        "source": SOURCE,
        "source_type": "github",
        "project": REPO,
        "key": f"{REPO}#1347",
        "title": "Found a bug",
        "item_type": "bug",
        "native_type": None,
        "status": "open",
        "status_category": "in_progress",  # assigned to octocat
        "resolution": None,  # open: the example's state_reason does not apply
        "is_customer_reported": False,
        "priority": None,
        "labels": ["bug"],
        "assignee": "octocat",
        "reporter": "octocat",
        "story_points": None,
        "original_estimate_seconds": None,
        "time_spent_seconds": None,
        "parent_key": None,
        "epic_key": None,
        "milestone_ids": [f"{SOURCE}:1002604"],
        "created_at": created,
        "updated_at": created,
        "started_at": created,
        "resolved_at": None,
        "due_date": None,
        "lead_time_days": None,
        "cycle_time_days": None,
        "reopened_count": 0,
        "url": "https://github.com/octocat/Hello-World/issues/1347",
    }


def test_event_of_a_pull_request_is_ignored(con: duckdb.DuckDBPyConnection) -> None:
    assert con.execute("SELECT count(*) FROM staging.github__issue_events").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM marts.work_item_history").fetchone() == (1,)


def test_milestone_keeps_due_on(con: duckdb.DuckDBPyConnection) -> None:
    (milestone,) = rows(con, "SELECT * FROM marts.milestones")
    assert milestone == {
        "milestone_id": f"{SOURCE}:1002604",
        "source": SOURCE,
        "source_type": "github",
        "project": REPO,
        "kind": "github_milestone",
        "name": "v1.0",
        "state": "open",
        "start_date": None,
        "due_date": date(2012, 10, 9),
        "created_at": datetime(2011, 4, 10, 20, 9, 31, tzinfo=UTC),
        "closed_at": datetime(2013, 2, 12, 13, 22, 1, tzinfo=UTC),
        "url": "https://github.com/octocat/Hello-World/milestones/v1.0",
    }
    status, reason = con.execute("SELECT status, status_reason FROM marts.project_completion").fetchone()
    assert (status, reason) == ("overdue", "1 item open, 84 days past due 2012-10-09")


def test_pull_request_sample(con: duckdb.DuckDBPyConnection) -> None:
    (pull,) = rows(con, "SELECT * EXCLUDE (created_at, merged_at, closed_at) FROM marts.pull_requests")
    assert pull == {
        "pull_request_id": f"{SOURCE}:1",
        "source": SOURCE,
        "project": REPO,
        "number": 1347,
        "title": "Amazing new feature",
        "head_ref": "new-topic",
        "state": "open",
        "draft": False,
        "linked_work_item_keys": [],
        "url": "https://github.com/octocat/Hello-World/pull/1347",
    }
