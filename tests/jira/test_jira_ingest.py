"""The Jira connector through the pipeline's ingest loop: every stream lands, state makes run two cheap."""

from __future__ import annotations

import copy
import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fake_jira import FakeJira, fixture, serve
from jira_builders import connector, settings

from connectors.base import parse_time
from connectors.jira import JiraSource
from pipelines import ingest, models, warehouse
from pipelines.config import parse


@pytest.fixture
def fake() -> Iterator[FakeJira]:
    issues = fixture("goatl_search_v3_legacy_startAt_total.json")["issues"]
    jira = FakeJira()
    jira.route("/rest/api/3/field", lambda q: fixture("goatl_fields_v3.json"))
    jira.route(
        "/rest/api/3/status", lambda q: [{"id": "1", "name": "Backlog", "statusCategory": {"key": "new"}}]
    )
    jira.route("/rest/api/3/search/jql", lambda q: {"issues": issues, "isLast": True})
    jira.route(
        "/rest/api/3/project/KP/version",
        lambda q: fixture("spec_project_version_paginated.json") | {"isLast": True},
    )
    jira.route(
        "/rest/agile/1.0/board", lambda q: {"startAt": 0, "maxResults": 50, "isLast": True, "values": []}
    )
    with serve(jira) as running:
        yield running


def test_sync_lands_every_stream_and_resumes_from_state(fake: FakeJira) -> None:
    con = duckdb.connect()
    source = JiraSource(**settings(fake.url))

    landed = {"fields": 81, "field_roles": 5, "statuses": 1, "issues": 18, "versions": 2, "sprints": 0}
    result = ingest.sync_source(con, source, "run-1", connector(fake.url))
    assert result.records == landed
    tables = {stream: warehouse.raw_table("jira", stream) for stream in landed}
    assert {s: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for s, t in tables.items()} == landed
    state = json.loads(
        con.execute("SELECT state FROM ops.sync_state WHERE scope = 'KP' AND stream = 'issues'").fetchone()[0]
    )
    assert state["cursor"] == "2021-11-18T00:18:29.845+00:00"
    # When the server answered (its Date header): years after the newest edit, nothing was in flight.
    assert abs(parse_time(state["read_at"]) - datetime.now(UTC)) < timedelta(minutes=1)

    fake.log.clear()
    second = ingest.sync_source(con, source, "run-2", connector(fake.url))
    (search,) = fake.requests_to("/rest/api/3/search/jql")
    assert "updated >= 1637194710845" in search.query["jql"]  # a second after the cursor, epoch ms
    assert second.changed["issues"] == 0  # (this fake ignores the bound: its 18 come back unchanged)


def search_like_jira(issues: list[dict[str, Any]]):
    """A /search/jql route that answers as a site does: only the requested fields, and only the
    issues updated since the JQL's epoch-ms bound."""

    def search(query: dict[str, str]) -> dict[str, Any]:
        wanted = set(query["fields"].split(","))
        bound = re.search(r"updated >= (\d+)", query["jql"])
        since = int(bound[1]) / 1000 if bound else float("-inf")
        return {
            "issues": [
                {**i, "fields": {k: v for k, v in i["fields"].items() if k in wanted}}
                for i in issues
                if parse_time(i["fields"]["updated"]).timestamp() >= since
            ],
            "isLast": True,
        }

    return search


def staged_points(con: duckdb.DuckDBPyConnection, source: JiraSource) -> dict[str, Any]:
    """staging.jira__issues story points by key, built by the model runner from what landed."""
    config = parse({"sources": [source.model_dump(mode="json")]})
    (model,) = (m for m in models.discover() if m.name == "staging.jira__issues")
    models.build(con, model, models.ModelParams.from_config(config, datetime(2021, 12, 1, tzinfo=UTC)))
    return dict(con.execute("SELECT key, story_points FROM staging.jira__issues").fetchall())


def test_field_list_that_loses_story_points_keeps_the_last_known_mapping(
    fake: FakeJira, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    issues = copy.deepcopy(fixture("goatl_search_v3_legacy_startAt_total.json")["issues"])
    site_fields: list[Any] = fixture("goatl_fields_v3.json")
    fake.route("/rest/api/3/field", lambda q: site_fields)
    fake.route("/rest/api/3/search/jql", search_like_jira(issues))
    source = JiraSource(**settings(fake.url))
    con = duckdb.connect(str(tmp_path / "work.duckdb"))

    ingest.sync_source(con, source, "run-1", connector(fake.url))
    assert staged_points(con, source)["KP-1"] == 111.0  # customfield_10036 "Story Points"

    # Between runs KP-1 is re-estimated at 8, and the site's /field answer comes back empty.
    kp1 = next(i for i in issues if i["key"] == "KP-1")
    kp1["fields"] |= {"customfield_10036": 8.0, "updated": "2021-11-20T09:00:00.000+0800"}
    site_fields.clear()
    fake.log.clear()
    with caplog.at_level(logging.WARNING, logger="connectors.jira"):
        second = ingest.sync_source(con, source, "run-2", connector(fake.url))

    (search,) = fake.requests_to("/rest/api/3/search/jql")
    assert "updated >= 1637194710845" in search.query["jql"]  # incremental, not a full re-read
    assert {"customfield_10036", "customfield_10016"} <= set(search.query["fields"].split(","))
    # Only the edited KP-1: not all 18 again.
    assert second.records["issues"] == 1
    assert staged_points(con, source)["KP-1"] == 8.0
    roles = {
        row[0]: json.loads(row[1])
        for row in con.execute(
            "SELECT id, data FROM raw.jira_field_roles WHERE deleted_at IS NULL"
        ).fetchall()
    }
    points = roles["story_points"]
    assert points["field_ids"] == ["customfield_10036", "customfield_10016"]
    assert points["resolved_by"] == "last_known" and "customfield_10036" in points["warning"]
    assert roles["sprint"]["resolved_by"] == "last_known"  # every role lost its field with the list
    assert any("customfield_10036" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)

    # The field list recovers: nothing new to read, and the mapping is the field list's again.
    site_fields.extend(fixture("goatl_fields_v3.json"))
    fake.log.clear()
    ingest.sync_source(con, source, "run-3", connector(fake.url))
    (search,) = fake.requests_to("/rest/api/3/search/jql")
    assert "updated >=" in search.query["jql"]
    (resolved_by,) = con.execute(
        "SELECT data->>'resolved_by' FROM raw.jira_field_roles WHERE id = 'story_points'"
    ).fetchone()
    assert resolved_by == "field_list"
