"""The Jira connector through the pipeline's ingest loop: every stream lands, state makes run two cheap."""

from __future__ import annotations

import json
from collections.abc import Iterator

import duckdb
import pytest
from fake_jira import FakeJira, fixture, serve
from jira_builders import connector, settings

from pipelines import ingest, warehouse
from pipelines.config import JiraSource


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

    fake.log.clear()
    second = ingest.sync_source(con, source, "run-2", connector(fake.url))
    (search,) = fake.requests_to("/rest/api/3/search/jql")
    assert "updated >= 1637194109845" in search.query["jql"]  # cursor minus 10 minutes, epoch ms
    assert second.changed["issues"] == 0  # the overlap re-read changes nothing
