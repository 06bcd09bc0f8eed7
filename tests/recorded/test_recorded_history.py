"""History recorded from a real server: PyGithub's api.github.com recording of single issue events
(tests/fixtures/README.md, recorded/github/pygithub_events_*), replayed over loopback HTTP through
the connector, ingest and every model, with values worked out by hand beside each assertion.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import duckdb
import pytest

from tests.recorded.test_recorded_replay import RECORDED, by_key, replayed, utc

AS_OF = datetime(2025, 1, 4, tzinfo=UTC)  # the day after PyGithub recorded the events


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    source = {"name": "pg", "type": "github", "token_env": "T", "repos": ["PyGithub/PyGithub"]}
    manifest = RECORDED / "github" / "pygithub_events_manifest.json"
    con = replayed(manifest, source, tmp_path_factory.mktemp("gh-events"), AS_OF)
    yield con
    con.close()


def test_only_real_issues_become_work_items(events: duckdb.DuckDBPyConnection) -> None:
    items = by_key(events, "SELECT key FROM marts.work_items")
    # The events embed issues 30 and 866 and pull requests 538 and 857 (their `pull_request` has
    # URLs): the pulls are not work items.
    assert set(items) == {"PyGithub/PyGithub#30", "PyGithub/PyGithub#866"}


def test_history_kept_from_issue_events(events: duckdb.DuckDBPyConnection) -> None:
    kept = events.execute(
        "SELECT event, created_at FROM staging.github__issue_events ORDER BY event_id"
    ).fetchall()
    # Of 27 events, issue 30's assigned, closed and labeled (v1) shape history; its subscribed and
    # referenced, 866's converted_note_to_issue and all 22 of pulls 538 and 857 (their reopened,
    # milestoned and demilestoned included) do not.
    assert kept == [
        ("assigned", utc("2012-05-27T05:40:15+00:00")),
        ("closed", utc("2012-05-27T11:04:25+00:00")),
        ("labeled", utc("2014-03-02T18:55:10+00:00")),
    ]


def test_status_history_and_lifecycle(events: duckdb.DuckDBPyConnection) -> None:
    history = events.execute(
        """
        SELECT w.key, h.status, h.status_category, h.valid_from, h.valid_to
        FROM marts.work_item_history AS h JOIN marts.work_items AS w USING (work_item_id)
        ORDER BY w.key, h.valid_from
        """
    ).fetchall()
    assert history == [
        # Issue 30 was created and assigned in the same second (05:40:15): only the state after
        # both counts, in progress. Closed at 11:04:25; the 2014 label changes nothing.
        (
            "PyGithub/PyGithub#30",
            "open",
            "in_progress",
            utc("2012-05-27T05:40:15+00:00"),
            utc("2012-05-27T11:04:25+00:00"),
        ),
        ("PyGithub/PyGithub#30", "closed", "done", utc("2012-05-27T11:04:25+00:00"), None),
        # Issue 866 has no closing event recorded: created 08:14:33, its closed_at (08:14:55) moves
        # the history to the closed state it is in now.
        (
            "PyGithub/PyGithub#866",
            "open",
            "todo",
            utc("2018-08-16T08:14:33+00:00"),
            utc("2018-08-16T08:14:55+00:00"),
        ),
        ("PyGithub/PyGithub#866", "closed", "done", utc("2018-08-16T08:14:55+00:00"), None),
    ]

    items = by_key(
        events,
        "SELECT key, resolved_at, reopened_count, lead_time_days, cycle_time_days FROM marts.work_items",
    )
    # 30: resolved at its one move into done, 11:04:25; in progress from 05:40:15, so lead and cycle
    # time are both 5:24:10 = 19450 s; never reopened.
    assert items["PyGithub/PyGithub#30"] == {
        "key": "PyGithub/PyGithub#30",
        "resolved_at": utc("2012-05-27T11:04:25+00:00"),
        "reopened_count": 0,
        "lead_time_days": pytest.approx(19450 / 86400),
        "cycle_time_days": pytest.approx(19450 / 86400),
    }
    # 866: resolved 22 s after it was created, never in progress (no cycle time), never reopened.
    assert items["PyGithub/PyGithub#866"] == {
        "key": "PyGithub/PyGithub#866",
        "resolved_at": utc("2018-08-16T08:14:55+00:00"),
        "reopened_count": 0,
        "lead_time_days": pytest.approx(22 / 86400),
        "cycle_time_days": None,
    }
