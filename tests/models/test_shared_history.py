"""The shared history models on hand-made item events: status history and milestone membership as
every tracker gets them from staging.item_events (the event contract) and its current state.

Times are 'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM' UTC; in-progress labels are the default mapping's
('in progress', 'in-progress', 'doing'). Expected rows are worked out by hand in each test.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from github_builder import params

from pipelines import models

CANONICAL = (
    "staging.work_items",
    "staging.milestones",
    "staging.item_events",
    "staging.work_item_milestones",
)
SHARED = ("intermediate.status_changes", "intermediate.milestone_membership")


def t(moment: str) -> datetime:
    return datetime.fromisoformat(moment).replace(tzinfo=UTC)


class Tracker:
    """Rows of the canonical staging tables the shared models read, as a tracker's models emit them."""

    def __init__(self) -> None:
        self.tables: dict[str, list[dict[str, Any]]] = {name: [] for name in CANONICAL}

    def item(self, item_id: str, created: str, updated: str, now: str, closed: str | None = None) -> None:
        """A work item whose current state is `now`, 'status/category'."""
        status, category = now.split("/")
        self.tables["staging.work_items"].append(
            {
                "work_item_id": item_id,
                "created_at": t(created),
                "updated_at": t(updated),
                "closed_at": closed and t(closed),
                "status": status,
                "status_category": category,
            }
        )

    def event(self, item_id: str, at: str, seq: int, kind: str, **values: str) -> None:
        self.tables["staging.item_events"].append(
            {"work_item_id": item_id, "happened_at": t(at), "seq": seq, "kind": kind} | values
        )

    def status(self, item_id: str, at: str, seq: int, entered: str, kind: str = "status_changed") -> None:
        status, category = entered.split("/")
        self.event(item_id, at, seq, kind, status=status, status_category=category)

    def milestones(self, *milestone_ids: str) -> None:
        self.tables["staging.milestones"] += [{"milestone_id": m} for m in milestone_ids]

    def now_in(self, item_id: str, *milestone_ids: str) -> None:
        self.tables["staging.work_item_milestones"] += [
            {"work_item_id": item_id, "milestone_id": m} for m in milestone_ids
        ]

    def build(self, path: Path) -> duckdb.DuckDBPyConnection:
        """The canonical tables as their models declare them (no tracker configured), these rows
        inserted, then the shared models built on them by the model runner."""
        con = duckdb.connect(str(path))
        by_name = {model.name: model for model in models.discover()}
        for name in CANONICAL:
            models.build(con, by_name[name], params())
            for row in self.tables[name]:
                con.execute(
                    f"INSERT INTO {name} ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
                    list(row.values()),
                )
        for name in SHARED:
            models.build(con, by_name[name], params())
        return con


def status_history(con: duckdb.DuckDBPyConnection, item_id: str) -> list[tuple[str, str]]:
    found = con.execute(
        """
        SELECT strftime(changed_at, '%Y-%m-%dT%H:%M'), status || '/' || status_category
        FROM intermediate.status_changes WHERE work_item_id = ? ORDER BY changed_at
        """,
        [item_id],
    ).fetchall()
    return [(at.removesuffix("T00:00"), state) for at, state in found]


def membership(con: duckdb.DuckDBPyConnection, milestone_id: str) -> list[tuple[str, str]]:
    return con.execute(
        """
        SELECT strftime(changed_at, '%Y-%m-%d'), action
        FROM intermediate.milestone_membership WHERE work_item_id = 'm' AND milestone_id = ? ORDER BY changed_at
        """,
        [milestone_id],
    ).fetchall()


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    tracker = Tracker()
    # A workflow's chain, with a repeated move and a done-to-done move (Resolved -> Closed).
    tracker.item("chain", "2026-01-01", "2026-01-07", "Closed/done", closed="2026-01-05")
    tracker.status("chain", "2026-01-01", 0, "To Do/todo", kind="created")
    tracker.status("chain", "2026-01-02", 10, "In Progress/in_progress")
    tracker.status("chain", "2026-01-03", 15, "In Progress/in_progress")
    tracker.status("chain", "2026-01-04", 20, "In Review/in_progress")
    tracker.status("chain", "2026-01-05", 30, "Resolved/done")
    tracker.status("chain", "2026-01-07", 40, "Closed/done")
    # Two moves in one instant, listed out of order: seq says Done came last.
    tracker.item("tie", "2026-01-01", "2026-01-03T10:00", "Done/done", closed="2026-01-03T10:00")
    tracker.status("tie", "2026-01-01", 0, "To Do/todo", kind="created")
    tracker.status("tie", "2026-01-03T10:00", 7, "Done/done")
    tracker.status("tie", "2026-01-03T10:00", 5, "In Progress/in_progress")
    # Closed in the instant it was created, with a smaller seq than `created`'s: created comes first.
    tracker.item("closed-at-once", "2026-01-01", "2026-01-02", "open/todo")
    tracker.status("closed-at-once", "2026-01-01", 100, "open/todo", kind="created")
    tracker.status("closed-at-once", "2026-01-01", 1, "closed/done")
    tracker.status("closed-at-once", "2026-01-02", 2, "open/todo")
    # Without a workflow: labels (any case) and assignees make an open item in progress.
    tracker.item("labels", "2026-01-01", "2026-01-09", "open/todo")
    tracker.status("labels", "2026-01-01", -1, "open/todo", kind="created")
    tracker.event("labels", "2026-01-02", 1, "label_added", label="In Progress")
    tracker.event("labels", "2026-01-03", 2, "label_added", label="bug")
    tracker.event("labels", "2026-01-04", 3, "label_removed", label="IN PROGRESS")
    tracker.event("labels", "2026-01-05", 4, "assigned")
    tracker.status("labels", "2026-01-06", 5, "closed/done")
    tracker.status("labels", "2026-01-08", 6, "open/todo")  # reopened, still assigned
    tracker.event("labels", "2026-01-09", 7, "unassigned")
    # Events lost: the history moves to the current state at closed_at.
    tracker.item("lost", "2026-01-01", "2026-01-10", "closed/done", closed="2026-01-09")
    tracker.status("lost", "2026-01-01", -1, "open/todo", kind="created")

    tracker.milestones(
        "left-rejoined", "rejoined-no-event", "left-only", "since-creation", "same-instant", "left-now"
    )
    tracker.item("m", "2026-01-01", "2026-01-10", "open/todo")
    tracker.status("m", "2026-01-01", -1, "open/todo", kind="created")
    for at, seq, kind in (
        ("2026-01-02", 1, "joined"),
        ("2026-01-03", 2, "left"),
        ("2026-01-05", 3, "joined"),
    ):
        tracker.event("m", at, seq, f"milestone_{kind}", milestone_id="left-rejoined")
    tracker.event("m", "2026-01-02", 1, "milestone_joined", milestone_id="rejoined-no-event")
    tracker.event("m", "2026-01-03", 2, "milestone_left", milestone_id="rejoined-no-event")
    tracker.event("m", "2026-01-04", 4, "milestone_left", milestone_id="left-only")
    tracker.event("m", "2025-12-30", 0, "milestone_joined", milestone_id="same-instant")  # before creation
    tracker.event("m", "2026-01-06", 6, "milestone_left", milestone_id="same-instant")
    tracker.event("m", "2026-01-06", 5, "milestone_joined", milestone_id="same-instant")
    tracker.event("m", "2026-01-02", 1, "milestone_joined", milestone_id="left-now")
    tracker.event("m", "2026-01-02", 1, "milestone_joined", milestone_id="unknown")
    tracker.now_in("m", "left-rejoined", "rejoined-no-event", "since-creation", "since-creation", "unknown")
    return tracker.build(tmp_path_factory.mktemp("shared_history") / "work.duckdb")


def test_a_status_chain_keeps_each_status_and_a_done_to_done_move(con: duckdb.DuckDBPyConnection) -> None:
    assert status_history(con, "chain") == [
        ("2026-01-01", "To Do/todo"),
        ("2026-01-02", "In Progress/in_progress"),  # the repeated move on 01-03 adds no row
        ("2026-01-04", "In Review/in_progress"),
        ("2026-01-05", "Resolved/done"),
        ("2026-01-07", "Closed/done"),
    ]


def test_events_in_one_instant_leave_the_state_after_the_largest_seq(con: duckdb.DuckDBPyConnection) -> None:
    assert status_history(con, "tie") == [("2026-01-01", "To Do/todo"), ("2026-01-03T10:00", "Done/done")]
    assert status_history(con, "closed-at-once") == [
        ("2026-01-01", "closed/done"),
        ("2026-01-02", "open/todo"),
    ]


def test_labels_and_assignees_make_an_open_item_in_progress(con: duckdb.DuckDBPyConnection) -> None:
    assert status_history(con, "labels") == [
        ("2026-01-01", "open/todo"),
        ("2026-01-02", "open/in_progress"),
        ("2026-01-04", "open/todo"),  # the label removed in another case; 'bug' changed nothing
        ("2026-01-05", "open/in_progress"),
        ("2026-01-06", "closed/done"),
        ("2026-01-08", "open/in_progress"),
        ("2026-01-09", "open/todo"),
    ]


def test_history_without_events_ends_in_the_current_state(con: duckdb.DuckDBPyConnection) -> None:
    assert status_history(con, "lost") == [("2026-01-01", "open/todo"), ("2026-01-09", "closed/done")]


def test_milestone_left_and_rejoined(con: duckdb.DuckDBPyConnection) -> None:
    assert membership(con, "left-rejoined") == [
        ("2026-01-02", "added"),
        ("2026-01-03", "removed"),
        ("2026-01-05", "added"),
    ]
    # In it now without the event that put it back: rejoined at the last update.
    assert membership(con, "rejoined-no-event") == [
        ("2026-01-02", "added"),
        ("2026-01-03", "removed"),
        ("2026-01-10", "added"),
    ]


def test_membership_is_completed_from_the_current_milestones(con: duckdb.DuckDBPyConnection) -> None:
    assert membership(con, "left-only") == [("2026-01-01", "added"), ("2026-01-04", "removed")]
    assert membership(con, "since-creation") == [("2026-01-01", "added")]  # listed twice, one row
    assert membership(con, "left-now") == [("2026-01-02", "added"), ("2026-01-10", "removed")]
    # Joined before creation counts at creation; joined and left in one instant keeps the left.
    assert membership(con, "same-instant") == [("2026-01-01", "added"), ("2026-01-06", "removed")]
    assert membership(con, "unknown") == []
