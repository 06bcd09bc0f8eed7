"""Jira staging models on recorded payloads and on hand-made issues in the API's shape.

Records are landed the way the pipeline lands them (warehouse.commit_pages with the connector's
record keys) and built with the model runner, together with the canonical unions they feed and the
shared history models built from those.
"""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any

import duckdb
import pytest
from fake_jira import fixture
from jira_builders import jira_time

from connectors.jira import JiraConnector
from connectors.jira.fields import resolve_field_roles, role_records
from pipelines import models, warehouse
from pipelines.config import parse

SOURCE = "acme"
AS_OF = datetime(2026, 3, 2, 12, tzinfo=UTC)
CONFIG = parse(
    {
        "sources": [
            {
                "name": SOURCE,
                "type": "jira",
                "base_url": "https://acme.atlassian.net",
                "token_env": "T",
                "email_env": "E",
                "projects": ["KP", "PAY"],
            }
        ],
        "mapping": {"status_categories": {"Ready for QA": "in_progress"}, "bug_types": ["Bug", "故障"]},
    }
)
STATUSES = [
    {"id": "1", "name": "To Do", "statusCategory": {"key": "new"}},
    {"id": "3", "name": "In Progress", "statusCategory": {"key": "indeterminate"}},
    {"id": "10001", "name": "完成", "statusCategory": {"key": "done"}},
    {"id": "10002", "name": "Ready for QA", "statusCategory": {"key": "new"}},
]
FIELDS = fixture("goatl_fields_v3.json")


def t(moment: str) -> datetime:
    return datetime.fromisoformat(moment).replace(tzinfo=UTC)


def status(status_id: str) -> dict[str, Any]:
    found = next(s for s in STATUSES if s["id"] == status_id)
    return copy.deepcopy(found)


def change(
    field: str, field_id: str | None, old: str | None, new: str | None, old_s: str = "", new_s: str = ""
) -> dict:
    item = {
        "field": field,
        "fieldtype": "jira",
        "from": old,
        "fromString": old_s,
        "to": new,
        "toString": new_s,
    }
    return item | ({"fieldId": field_id} if field_id else {})


def pay_issue(number: int, created: str, updated: str, status_id: str = "1", **fields: Any) -> dict[str, Any]:
    """A PAY issue as Cloud search returns it, with +0800 timestamps and the recorded site's field ids."""
    histories = fields.pop("histories", [])
    body = {
        "summary": f"支付 {number}",
        "issuetype": {"name": fields.pop("type", "Story"), "subtask": False},
        "status": status(status_id),
        "resolution": fields.pop("resolution", None),
        "priority": {"name": "High"},
        "labels": fields.pop("labels", []),
        "assignee": None,
        "reporter": {"displayName": "张伟"},
        "created": jira_time(t(created)),
        "updated": jira_time(t(updated)),
        "resolutiondate": None,
        "fixVersions": fields.pop("fix_versions", []),
        "versions": [],
        "project": {"key": "PAY"},
        "customfield_10020": fields.pop("sprints", None),
    } | fields
    return {
        "id": str(20000 + number),
        "key": f"PAY-{number}",
        "self": f"https://acme.atlassian.net/rest/api/3/issue/{20000 + number}",
        "fields": body,
        "changelog": {
            "startAt": 0,
            "maxResults": len(histories),
            "total": len(histories),
            "histories": histories,
        },
    }


def history(history_id: int, at: str, *items: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(history_id), "created": jira_time(t(at)), "items": list(items)}


def land(con: duckdb.DuckDBPyConnection, stream_name: str, scope: str, records: list[dict[str, Any]]) -> None:
    stream = next(s for s in JiraConnector.streams if s.name == stream_name)
    keyer = JiraConnector.__new__(JiraConnector)
    table = warehouse.ensure_raw_table(con, "jira", stream_name)
    rows = [
        (k.id, k.cursor, warehouse.record_json(r)) for r in records for k in [keyer.record_key(stream, r)]
    ]
    page = warehouse.LandedPage(table, scope, stream_name, rows, {})
    warehouse.commit_pages(con, SOURCE, [page], datetime.now(UTC))


def build(con: duckdb.DuckDBPyConnection) -> None:
    params = models.ModelParams.from_config(CONFIG, AS_OF)
    canonical = {"work_items", "item_events", "work_item_milestones", "milestones"}
    shared = {"intermediate.status_changes", "intermediate.milestone_membership"}
    for model in models.discover():
        if (
            model.name.startswith("staging.jira__")
            or model.name.removeprefix("staging.") in canonical
            or model.name in shared
        ):
            models.build(con, model, params)


def rows(con: duckdb.DuckDBPyConnection, query: str, *args: Any) -> list[dict[str, Any]]:
    cursor = con.execute(query, list(args))
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    db = duckdb.connect()
    warehouse.ensure_ops(db)
    land(db, "fields", "KP", FIELDS)
    land(db, "field_roles", "KP", role_records(resolve_field_roles(FIELDS)))
    land(db, "statuses", "KP", STATUSES)
    land(db, "issues", "KP", fixture("goatl_search_v3_legacy_startAt_total.json")["issues"])
    land(db, "versions", "PAY", [
        {"id": "501", "name": "1.0", "released": True, "archived": False, "releaseDate": "2026-01-20",
         "startDate": "2026-01-01", "self": "https://acme.atlassian.net/rest/api/3/version/501"},
        {"id": "502", "name": "1.1", "released": False, "archived": False, "releaseDate": "2026-03-20",
         "self": "https://acme.atlassian.net/rest/api/3/version/502"},
        {"id": "503", "name": "dropped", "released": False, "archived": True,
         "self": "https://acme.atlassian.net/rest/api/3/version/503"},
    ])  # fmt: skip
    sprint = fixture("spec_agile_board_sprints.json")["values"][0]
    land(db, "sprints", "PAY", [
        sprint | {"id": 3, "state": "closed", "startDate": jira_time(t("2026-01-05T02:00")),
                  "endDate": "2026-01-16T06:00:00.000+0800", "completeDate": jira_time(t("2026-01-16T01:00"))},
        {"id": 4, "name": "PAY 2", "state": "active", "startDate": jira_time(t("2026-01-19")),
         "endDate": jira_time(t("2026-01-30")), "originBoardId": 5,
         "self": "https://acme.atlassian.net/rest/agile/1.0/sprint/4"},
    ])  # fmt: skip
    land(db, "issues", "PAY", [
        # Done in a status named in Chinese, resolution "完成"; reported by a customer label.
        pay_issue(1, "2026-01-05T09:00", "2026-01-12T10:00", "10001", resolution={"name": "完成"},
                  labels=["Customer"], type="故障", resolutiondate=jira_time(t("2026-01-12T10:00")),
                  histories=[
                      history(9002, "2026-01-12T10:00", change("status", "status", "3", "10001", "In Progress", "完成")),
                      history(9001, "2026-01-06T08:00", change("status", "status", "1", "3", "To Do", "In Progress")),
                  ]),
        pay_issue(2, "2026-01-05T09:00", "2026-01-09", "10001", resolution={"name": "Won't Do"}),
        pay_issue(3, "2026-01-05T09:00", "2026-01-09", "10001", resolution={"name": "duplicate"}),
        # A status the mapping overrides; a JSM request type makes it customer reported.
        pay_issue(4, "2026-01-05T09:00", "2026-01-09", "10002", customfield_10010={"requestType": {"name": "Bug"}}),
        # Fix versions and sprints from history: 1.0 then 1.1; sprint 3 from creation, 4 added later.
        pay_issue(5, "2026-01-05T09:00", "2026-01-20T09:00", "3", fix_versions=[{"id": "502"}],
                  sprints=[{"id": 3, "name": "PAY 1"}, {"id": 4, "name": "PAY 2"}],
                  histories=[
                      history(9103, "2026-01-19T09:00", change("Sprint", "customfield_10020", "3", "3, 4", "PAY 1", "PAY 1, PAY 2")),
                      history(9102, "2026-01-10T09:00", change("Fix Version", "fixVersions", "501", None, "1.0", ""),
                              change("Fix Version", "fixVersions", None, "502", "", "1.1")),
                      history(9101, "2026-01-06T09:00", change("Fix Version", "fixVersions", None, "501", "", "1.0")),
                  ]),
        # Created in 1.0 (no history), later removed from it; and a sprint left with no trace of joining.
        pay_issue(6, "2026-01-05T09:00", "2026-01-11T09:00", "1",
                  histories=[
                      history(9202, "2026-01-11T09:00", change("Sprint", "customfield_10020", "3", "", "PAY 1", "")),
                      history(9201, "2026-01-08T09:00", change("Fix Version", "fixVersions", "501", None, "1.0", "")),
                  ]),
        # A past status that is neither on the site's list nor on any current issue: todo.
        pay_issue(7, "2026-01-05T09:00", "2026-01-09T09:00", "3",
                  histories=[
                      history(9302, "2026-01-09T09:00", change("status", "status", "777", "3", "Triage", "In Progress")),
                  ]),
    ])  # fmt: skip
    build(db)
    return db


def test_recorded_issues_map_to_work_items(con: duckdb.DuckDBPyConnection) -> None:
    (kp1,) = rows(con, "SELECT * FROM staging.work_items WHERE key = 'KP-1'")
    assert kp1["work_item_id"] == "acme:10007" and kp1["native_id"] == "10007"
    assert kp1["source_type"] == "jira" and kp1["project"] == "KP"
    assert kp1["story_points"] == 111.0  # customfield_10036 on this site, not 10016
    assert kp1["original_estimate_seconds"] == 1920 and kp1["time_spent_seconds"] == 24000
    assert (kp1["item_type"], kp1["status_category"], kp1["resolution"]) == ("feature", "done", "completed")
    assert kp1["closed_at"] == datetime(2021, 1, 9, 4, 48, 34, 743000, tzinfo=UTC)
    assert kp1["labels"] == ["asd"] and kp1["priority"] == "Low"
    assert kp1["assignee"] == "Carlos Treminio" and kp1["reporter"] == "Carlos Treminio"
    assert kp1["url"] == "https://ctreminiom.atlassian.net/browse/KP-1"

    (kp19,) = rows(con, "SELECT * FROM staging.work_items WHERE key = 'KP-19'")
    assert kp19["created_at"] == datetime(2021, 5, 8, 6, 4, 25, 376000, tzinfo=UTC)  # from +0100
    assert kp19["epic_key"] == "KP-16" and kp19["story_points"] is None and kp19["resolution"] is None
    (kp15,) = rows(con, "SELECT item_type, parent_key, epic_key FROM staging.work_items WHERE key = 'KP-15'")
    assert kp15 == {"item_type": "subtask", "parent_key": "KP-2", "epic_key": None}
    types = dict(con.execute("SELECT key, item_type FROM staging.work_items WHERE project = 'KP'").fetchall())
    assert (types["KP-16"], types["KP-9"], types["KP-18"]) == ("epic", "task", "other")
    assert con.execute("SELECT count(*) FROM staging.work_items WHERE project = 'KP'").fetchone()[0] == 18


def test_localised_names_and_offsets(con: duckdb.DuckDBPyConnection) -> None:
    (pay1,) = rows(con, "SELECT * FROM staging.work_items WHERE key = 'PAY-1'")
    assert pay1["created_at"] == t("2026-01-05T09:00")  # written 17:00+0800
    assert (pay1["status"], pay1["status_category"], pay1["resolution"]) == ("完成", "done", "completed")
    assert pay1["item_type"] == "bug"  # 故障 is a bug type in this config
    assert pay1["is_customer_reported"] and pay1["reporter"] == "张伟"
    assert pay1["closed_at"] == t("2026-01-12T10:00")


def test_resolutions_and_status_overrides(con: duckdb.DuckDBPyConnection) -> None:
    got = dict(
        con.execute(
            "SELECT key, resolution FROM staging.work_items WHERE key IN ('PAY-2', 'PAY-3', 'PAY-4')"
        ).fetchall()
    )
    assert got == {"PAY-2": "not_planned", "PAY-3": "duplicate", "PAY-4": None}
    (pay4,) = rows(
        con, "SELECT status_category, is_customer_reported FROM staging.work_items WHERE key = 'PAY-4'"
    )
    assert pay4 == {"status_category": "in_progress", "is_customer_reported": True}


def test_status_history_from_the_changelog(con: duckdb.DuckDBPyConnection) -> None:
    history_rows = rows(
        con,
        "SELECT changed_at, status, status_category FROM intermediate.status_changes WHERE work_item_id = 'acme:20001' ORDER BY changed_at",
    )
    assert history_rows == [
        {"changed_at": t("2026-01-05T09:00"), "status": "To Do", "status_category": "todo"},
        {"changed_at": t("2026-01-06T08:00"), "status": "In Progress", "status_category": "in_progress"},
        {"changed_at": t("2026-01-12T10:00"), "status": "完成", "status_category": "done"},
    ]
    unknown = rows(
        con,
        "SELECT status, status_category FROM intermediate.status_changes WHERE work_item_id = 'acme:20007' ORDER BY changed_at",
    )
    assert unknown == [
        {"status": "Triage", "status_category": "todo"},
        {"status": "In Progress", "status_category": "in_progress"},
    ]
    # Issues without status changes start (and stay) in their current status.
    assert rows(
        con, "SELECT changed_at, status FROM intermediate.status_changes WHERE work_item_id = 'acme:20002'"
    ) == [{"changed_at": t("2026-01-05T09:00"), "status": "完成"}]


def test_changelog_becomes_item_events(con: duckdb.DuckDBPyConnection) -> None:
    def events(work_item_id: str, kinds: str) -> list[tuple[Any, ...]]:
        return con.execute(
            f"""
            SELECT kind, happened_at, coalesce(status || '/' || status_category, milestone_id)
            FROM staging.item_events WHERE work_item_id = ? AND kind IN ({kinds}) ORDER BY happened_at, seq
            """,
            [work_item_id],
        ).fetchall()

    # Created in the `from` of its first move (history 9001, listed last), then each move.
    assert events("acme:20001", "'created', 'status_changed'") == [
        ("created", t("2026-01-05T09:00"), "To Do/todo"),
        ("status_changed", t("2026-01-06T08:00"), "In Progress/in_progress"),
        ("status_changed", t("2026-01-12T10:00"), "完成/done"),
    ]
    # One Fix Version item with from and to is a leave and a join; a sprint list "3" -> "3, 4" joins 4.
    assert sorted(events("acme:20005", "'milestone_joined', 'milestone_left'")) == [
        ("milestone_joined", t("2026-01-06T09:00"), "acme:version:501"),
        ("milestone_joined", t("2026-01-10T09:00"), "acme:version:502"),
        ("milestone_joined", t("2026-01-19T09:00"), "acme:sprint:4"),
        ("milestone_left", t("2026-01-10T09:00"), "acme:version:501"),
    ]
    current = con.execute(
        "SELECT milestone_id FROM staging.work_item_milestones WHERE work_item_id = 'acme:20005' ORDER BY 1"
    ).fetchall()
    assert current == [("acme:sprint:3",), ("acme:sprint:4",), ("acme:version:502",)]


def test_milestones_from_versions_and_sprints(con: duckdb.DuckDBPyConnection) -> None:
    found = {
        m["milestone_id"]: m for m in rows(con, "SELECT * FROM staging.milestones WHERE project = 'PAY'")
    }
    released = found["acme:version:501"]
    assert (released["kind"], released["state"], released["due_date"]) == (
        "jira_version",
        "released",
        date(2026, 1, 20),
    )
    assert (
        released["start_date"] == date(2026, 1, 1)
        and released["url"] == "https://acme.atlassian.net/projects/PAY/versions/501"
    )
    assert (found["acme:version:502"]["state"], found["acme:version:502"]["closed_at"]) == ("open", None)
    assert found["acme:version:503"]["state"] == "closed"
    closed = found["acme:sprint:3"]
    assert (closed["kind"], closed["state"]) == ("jira_sprint", "closed")
    assert closed["due_date"] == date(2026, 1, 15)  # 06:00+0800 on the 16th is the 15th in UTC
    assert closed["closed_at"] == t("2026-01-16T01:00")
    assert found["acme:sprint:4"]["state"] == "open"


def test_membership_from_history_and_current_values(con: duckdb.DuckDBPyConnection) -> None:
    got = con.execute(
        """
        SELECT work_item_id, milestone_id, changed_at, action FROM intermediate.milestone_membership
        WHERE work_item_id IN ('acme:20005', 'acme:20006') ORDER BY work_item_id, milestone_id, changed_at
        """
    ).fetchall()
    assert got == [
        # PAY-5: in sprint 3 since creation (no history), sprint 4 added by the list "3" -> "3, 4".
        ("acme:20005", "acme:sprint:3", t("2026-01-05T09:00"), "added"),
        ("acme:20005", "acme:sprint:4", t("2026-01-19T09:00"), "added"),
        ("acme:20005", "acme:version:501", t("2026-01-06T09:00"), "added"),
        ("acme:20005", "acme:version:501", t("2026-01-10T09:00"), "removed"),
        ("acme:20005", "acme:version:502", t("2026-01-10T09:00"), "added"),
        # PAY-6: created in sprint 3 and version 1.0 (no history of joining), then taken out of both.
        ("acme:20006", "acme:sprint:3", t("2026-01-05T09:00"), "added"),
        ("acme:20006", "acme:sprint:3", t("2026-01-11T09:00"), "removed"),
        ("acme:20006", "acme:version:501", t("2026-01-05T09:00"), "added"),
        ("acme:20006", "acme:version:501", t("2026-01-08T09:00"), "removed"),
    ]


def test_recorded_sprint_values_give_current_membership(con: duckdb.DuckDBPyConnection) -> None:
    sprints = dict(
        con.execute(
            "SELECT key, sprint_ids FROM staging.jira__issues WHERE project = 'KP' AND len(sprint_ids) > 0"
        ).fetchall()
    )
    assert sprints == {
        "KP-18": ["4"],
        "KP-17": ["4"],
        "KP-11": ["3"],
        "KP-10": ["3"],
        "KP-4": ["3"],
        "KP-3": ["3"],
    }


def test_data_center_sprint_strings_parse(con: duckdb.DuckDBPyConnection) -> None:
    value = "com.atlassian.greenhopper.service.sprint.Sprint@1f2e3d[id=12,rapidViewId=3,state=CLOSED,name=Sprint 1]"
    issue = pay_issue(99, "2026-01-05T09:00", "2026-01-05T09:00", customfield_10020=[value])
    db = duckdb.connect()
    warehouse.ensure_ops(db)
    land(db, "field_roles", "PAY", role_records(resolve_field_roles(FIELDS)))
    land(db, "issues", "PAY", [issue])
    models.build(
        db,
        next(m for m in models.discover() if m.name == "staging.jira__issues"),
        models.ModelParams.from_config(CONFIG, AS_OF),
    )
    assert db.execute("SELECT sprint_ids FROM staging.jira__issues").fetchone()[0] == ["12"]
