"""GitLab's recorded payloads (tests/fixtures/gitlab/) through the GitLab staging SQL.

Each record is landed as the pipeline lands it (keyed by the connector's declaration, child
records carrying `_parent` as the stream kit adds it). Beside the recorded issue, one issue is
the same payload with the values the examples lack, changed by hand and said so below: a paid-tier
weight, time tracked, a +08:00 offset, a Chinese title, a scoped workflow label, a group milestone
and an iteration, whose events are the recorded iteration events. Every expected value is read off
the payloads by hand.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from gitlab_emulator_support import example

from connectors.gitlab import GitLabConnector
from connectors.gitlab.connector import issue_references
from connectors.http import HttpClient
from pipelines import models, warehouse
from pipelines.config import parse

SOURCE, OTHER = "gl", "gl-self"
PROJECT = "my-group/my-project"
CONFIG = parse(
    {
        "sources": [
            {"name": name, "type": "gitlab", "token_env": "TL_TEST_GL", "projects": [PROJECT]}
            for name in (SOURCE, OTHER)
        ]
    }
)
CONNECTOR = GitLabConnector(HttpClient("https://gitlab.example.com/api/v4"), {})


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def land(con: duckdb.DuckDBPyConnection, source: str, stream: str, scope: str, records: list[dict]) -> None:
    declared = CONNECTOR.stream(stream)
    rows = []
    for record in records:
        key = CONNECTOR.record_key(declared, record)
        rows.append((key.id, key.cursor, warehouse.record_json(record)))
    page = warehouse.LandedPage(warehouse.raw_table("gitlab", stream), scope, stream, rows)
    warehouse.commit_pages(con, source, [page], datetime.now(UTC))


def child(parent: dict[str, Any], records: list[dict]) -> list[dict]:
    return [{**record, "_parent": {"id": parent["id"], "iid": parent["iid"]}} for record in records]


def paid_issue(recorded: dict[str, Any], group_milestone: dict[str, Any]) -> dict[str, Any]:
    """The recorded issue changed by hand into an open paid-tier incident (see the module docstring)."""
    issue = copy.deepcopy(recorded)
    issue.update(
        id=42,
        iid=2,
        title="登录页面样式错误",
        state="opened",
        type="INCIDENT",
        issue_type="incident",
        labels=["workflow::In Progress", "Customer"],
        created_at="2016-01-04T23:31:46.176+08:00",
        closed_at=None,
        closed_by=None,
        milestone=group_milestone,
        weight=3,
        iteration={"id": 53, "iid": 13, "group_id": 5, "title": "Iteration II", "state": 2},
        time_stats={
            "time_estimate": 7200,
            "total_time_spent": 5400,
            "human_time_estimate": "2h",
            "human_total_time_spent": "1h 30m",
        },
        references={"short": "#2", "relative": "#2", "full": f"{PROJECT}#2"},
    )
    del issue["_links"]["closed_as_duplicate_of"]
    return issue


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    path: Path = tmp_path_factory.mktemp("gitlab-staging") / "work.duckdb"
    con = duckdb.connect(str(path))
    warehouse.ensure_ops(con)
    for stream in GitLabConnector.streams:
        warehouse.ensure_raw_table(con, "gitlab", stream.name)
    (recorded,) = example("docs_list_project_issues.json")
    (group_milestone,) = example("docs_list_group_milestones.json")
    paid = paid_issue(recorded, group_milestone)
    land(con, SOURCE, "issues", PROJECT, [recorded, paid])
    land(
        con,
        SOURCE,
        "resource_state_events",
        PROJECT,
        child(recorded, example("docs_resource_state_events.json")),
    )
    land(
        con,
        SOURCE,
        "resource_label_events",
        PROJECT,
        child(recorded, example("docs_resource_label_events.json")),
    )
    milestone_events = example("docs_resource_milestone_events.json")
    # Hand-made from the recorded add: issue 42 planned into v3.0 (id 11), then moved to the group
    # milestone (id 12), which GitLab records as the second add alone.
    moves = [
        {**milestone_events[0], "id": 150, "created_at": "2016-02-01T10:00:00.000Z", "milestone": {"id": 11}},
        {**milestone_events[0], "id": 151, "created_at": "2016-02-03T10:00:00.000Z", "milestone": {"id": 12}},
    ]
    land(
        con,
        SOURCE,
        "resource_milestone_events",
        PROJECT,
        child(recorded, milestone_events) + child(paid, moves),
    )
    iteration_events = child(paid, example("docs_resource_iteration_events.json"))
    land(con, SOURCE, "resource_iteration_events", PROJECT, iteration_events)
    # The group milestone is listed under each of the group's projects; raw rows are keyed by id.
    for scope in (PROJECT, "my-group/other-project"):
        land(con, SOURCE, "milestones", scope, [group_milestone, recorded["milestone"]])
    land(con, OTHER, "milestones", PROJECT, [example("gitlab4j_project_milestone.json")])
    land(con, SOURCE, "iterations", PROJECT, example("gogitlab_list_group_iterations.json"))
    land(con, SOURCE, "merge_requests", PROJECT, example("docs_list_project_merge_requests.json"))
    closes = {
        "_parent": {"id": 1, "iid": 1},
        # The recorded list (an issue of an unsynced project, a Jira issue) and, added by hand, the
        # recorded issue of this project.
        "items": issue_references([*example("gitlab4j_issues_closed_by_mr.json"), recorded]),
    }
    land(con, SOURCE, "merge_request_closes_issues", PROJECT, [closes])
    models.build_all(con, models.ModelParams.from_config(CONFIG, datetime(2016, 3, 1, tzinfo=UTC)))
    yield con
    con.close()


def rows(con: duckdb.DuckDBPyConnection, query: str) -> list[dict[str, Any]]:
    cursor = con.execute(query)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_the_recorded_issue_is_a_closed_duplicate_task_without_estimate(
    con: duckdb.DuckDBPyConnection,
) -> None:
    (item,) = rows(con, "SELECT * FROM staging.work_items WHERE native_id = '41'")
    assert item == {
        "work_item_id": "gl:41",
        "source": SOURCE,
        "source_type": "gitlab",
        "project": PROJECT,
        "key": "my-group/my-project#1",
        "native_id": "41",
        "title": "Ut commodi ullam eos dolores perferendis nihil sunt.",
        "item_type": "task",  # type ISSUE, labels foo and bar
        "native_type": "ISSUE",
        "status": "closed",
        "status_category": "done",
        "resolution": "duplicate",  # _links.closed_as_duplicate_of
        "is_customer_reported": False,
        "priority": None,
        "labels": ["foo", "bar"],
        "assignee": "lennie",
        "reporter": "root",
        "story_points": None,  # a free-tier answer has no weight key
        "original_estimate_seconds": None,  # time_estimate 0: none set
        "time_spent_seconds": 0,
        "parent_key": None,
        "epic_key": None,
        "created_at": at("2016-01-04T15:31:46.176+00:00"),
        "updated_at": at("2016-01-04T15:31:46.176+00:00"),
        "closed_at": at("2016-01-05T15:31:46.176+00:00"),
        "due_date": date(2016, 7, 22),
        "url": "http://gitlab.example.com/my-group/my-project/issues/1",
    }


def test_weight_time_stats_offset_and_scoped_labels_of_a_paid_issue(con: duckdb.DuckDBPyConnection) -> None:
    (item,) = rows(con, "SELECT * FROM staging.work_items WHERE native_id = '42'")
    assert {key: item[key] for key in item if key not in ("assignee", "reporter", "url", "due_date")} == {
        "work_item_id": "gl:42",
        "source": SOURCE,
        "source_type": "gitlab",
        "project": PROJECT,
        "key": "my-group/my-project#2",
        "native_id": "42",
        "title": "登录页面样式错误",
        "item_type": "incident",
        "native_type": "INCIDENT",
        "status": "opened",
        "status_category": "in_progress",  # workflow::In Progress: its value matches 'in progress'
        "resolution": None,
        "is_customer_reported": True,  # Customer, any case
        "priority": None,
        "labels": ["workflow::In Progress", "Customer"],
        "story_points": 3.0,
        "original_estimate_seconds": 7200,
        "time_spent_seconds": 5400,
        "parent_key": None,
        "epic_key": None,
        "created_at": datetime(2016, 1, 4, 15, 31, 46, 176000, tzinfo=UTC),  # 23:31:46.176+08:00
        "updated_at": at("2016-01-04T15:31:46.176+00:00"),
        "closed_at": None,
    }


def test_group_milestone_lands_once_with_its_group_as_project(con: duckdb.DuckDBPyConnection) -> None:
    found = {row.pop("milestone_id"): row for row in rows(con, "SELECT * FROM staging.milestones")}
    assert found == {
        "gl:12": {
            "source": SOURCE,
            "source_type": "gitlab",
            "project": "gitlab-org",  # from /groups/gitlab-org/-/milestones/42
            "kind": "gitlab_group_milestone",
            "name": "10.0",
            "state": "open",
            "start_date": date(2013, 11, 10),
            "start_at": datetime(2013, 11, 10, tzinfo=UTC),
            "due_date": date(2013, 11, 29),
            "created_at": datetime(2013, 10, 2, 9, 24, 18, tzinfo=UTC),
            "closed_at": None,
            "url": "https://gitlab.com/groups/gitlab-org/-/milestones/42",
        },
        "gl:11": {  # the issue's embedded milestone: no dates, no web_url
            "source": SOURCE,
            "source_type": "gitlab",
            "project": PROJECT,
            "kind": "gitlab_milestone",
            "name": "v3.0",
            "state": "closed",
            "start_date": None,
            "start_at": None,
            "due_date": None,
            "created_at": at("2016-01-04T15:31:39.788+00:00"),
            "closed_at": at("2016-01-04T15:31:39.788+00:00"),  # its last update: GitLab keeps no closing time
            "url": None,
        },
        "gl-self:12": {
            "source": OTHER,
            "source_type": "gitlab",
            "project": PROJECT,
            "kind": "gitlab_milestone",
            "name": "1.0",
            "state": "open",
            "start_date": date(2013, 11, 1),
            "start_at": datetime(2013, 11, 1, tzinfo=UTC),
            "due_date": date(2013, 11, 29),
            "created_at": at("2013-10-02T09:24:18.248+00:00"),
            "closed_at": None,
            "url": "http://gitlab.example.com/my-group/my-project/-/milestones/3",
        },
        "gl:iteration:53": {
            "source": SOURCE,
            "source_type": "gitlab",
            "project": "my-group",  # from /groups/my-group/-/iterations/13
            "kind": "gitlab_iteration",
            "name": "Iteration II",
            "state": "open",  # 2: current
            "start_date": date(2020, 2, 14),
            "start_at": datetime(2020, 2, 14, tzinfo=UTC),
            "due_date": date(2020, 2, 1),  # as the example has it, before its start
            "created_at": at("2020-01-27T05:07:12.573+00:00"),
            "closed_at": None,
            "url": "http://gitlab.example.com/groups/my-group/-/iterations/13",
        },
    }


def test_current_milestones_and_iteration_of_each_issue(con: duckdb.DuckDBPyConnection) -> None:
    found = con.execute("SELECT * FROM staging.gitlab__work_item_milestones ORDER BY ALL").fetchall()
    assert found == [("gl:41", "gl:11"), ("gl:42", "gl:12"), ("gl:42", "gl:iteration:53")]


def test_resource_events_become_item_events(con: duckdb.DuckDBPyConnection) -> None:
    found = con.execute(
        """
        SELECT work_item_id, happened_at, seq, kind, status, status_category, label, milestone_id
        FROM staging.item_events ORDER BY work_item_id, happened_at, kind, seq
        """
    ).fetchall()
    first, second = at("2018-08-20T13:38:20.077+00:00"), at("2018-08-21T14:38:20.077+00:00")
    assert found == [
        ("gl:41", at("2016-01-04T15:31:46.176+00:00"), -1, "created", "opened", "todo", None, None),
        ("gl:41", first, 142, "label_added", None, None, "a1", None),
        ("gl:41", first, 143, "label_removed", None, None, "p1", None),
        ("gl:41", first, 142, "milestone_joined", None, None, None, "gl:61"),
        ("gl:41", first, 142, "status_changed", "opened", "todo", None, None),
        ("gl:41", second, 143, "milestone_left", None, None, None, "gl:61"),
        ("gl:41", second, 143, "status_changed", "closed", "done", None, None),
        ("gl:42", at("2016-01-04T15:31:46.176+00:00"), -1, "created", "opened", "todo", None, None),
        ("gl:42", at("2016-02-01T10:00:00+00:00"), 150, "milestone_joined", None, None, None, "gl:11"),
        # The move to the group milestone: its add, and v3.0 left at the same instant, just before.
        ("gl:42", at("2016-02-03T10:00:00+00:00"), 151, "milestone_joined", None, None, None, "gl:12"),
        ("gl:42", at("2016-02-03T10:00:00+00:00"), 150, "milestone_left", None, None, None, "gl:11"),
        # The recorded iteration events as they are: Iteration I added, Iteration II removed.
        ("gl:42", first, 142, "milestone_joined", None, None, None, "gl:iteration:50"),
        ("gl:42", second, 143, "milestone_left", None, None, None, "gl:iteration:53"),
    ]


def test_merge_request_is_a_closed_pull_request_linked_to_the_issues_it_closes(
    con: duckdb.DuckDBPyConnection,
) -> None:
    (pull,) = rows(con, "SELECT * FROM staging.pull_requests")
    merged = at("2018-09-07T11:16:17.520+00:00")
    assert pull == {
        "pull_request_id": "gl:1",
        "source": SOURCE,
        "project": PROJECT,
        "number": 1,
        "title": "test1",
        "body": "fixed login page css paddings",
        "head_ref": "test1",
        "state": "closed",  # merged
        "draft": False,
        "created_at": at("2017-04-29T08:46:00+00:00"),
        "merged_at": merged,
        "closed_at": merged,  # closed_at is null on a merged one: closed when it merged
        "url": "http://gitlab.example.com/my-group/my-project/merge_requests/1",
    }
    # Issue 76 is in no synced project: left out. The mart adds the links to the keys it finds.
    links = con.execute("SELECT * FROM staging.pull_request_links ORDER BY ALL").fetchall()
    assert links == [("gl:1", "PROJECT-123"), ("gl:1", "my-group/my-project#1")]
    keys = con.execute("SELECT linked_work_item_keys FROM marts.pull_requests").fetchall()
    assert keys == [(["PROJECT-123", "my-group/my-project#1"],)]
