"""JiraConnector against a scripted Jira: paging, JQL, changelog completion, sprints, census."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fake_jira import FakeJira, fixture, serve
from jira_builders import connector, issue_with_history

from connectors.base import parse_time
from connectors.http import ConnectorError
from connectors.jira import JiraConnector
from connectors.jira.search import issue_fields

CLOUD_SEARCH = "/rest/api/3/search/jql"
DC_SEARCH = "/rest/api/2/search"


def stream(name: str):
    return next(s for s in JiraConnector.streams if s.name == name)


def recorded_issues() -> list[dict[str, Any]]:
    """The 18 issues recorded from a real Cloud site, oldest update first (as the JQL orders them)."""
    issues = fixture("goatl_search_v3_legacy_startAt_total.json")["issues"]
    return sorted(issues, key=lambda i: parse_time(i["fields"]["updated"]))


def token_search(pages: list[list[dict[str, Any]]]):
    """A /search/jql route serving `pages` by nextPageToken 'p1', 'p2', ..."""

    def search(query: dict[str, str]) -> dict[str, Any]:
        index = int(query.get("nextPageToken", "p0")[1:])
        body: dict[str, Any] = {"issues": pages[index], "isLast": index == len(pages) - 1}
        if index < len(pages) - 1:
            body["nextPageToken"] = f"p{index + 1}"
        return body

    return search


def offset_search(pages: list[tuple[list[dict[str, Any]], int]]):
    """A Data Center /search route: page n answers startAt=n's issues with its own total."""

    def search(query: dict[str, str]) -> dict[str, Any]:
        start = int(query.get("startAt", 0))
        offset = 0
        for issues, total in pages:
            if start == offset:
                return {"startAt": start, "maxResults": 100, "total": total, "issues": issues}
            offset += len(issues)
        return {"startAt": start, "maxResults": 100, "total": pages[-1][1], "issues": []}

    return search


@pytest.fixture
def fake() -> Iterator[FakeJira]:
    jira = FakeJira()
    jira.route("/rest/api/3/field", lambda q: fixture("goatl_fields_v3.json"))
    jira.route("/rest/api/2/field", lambda q: fixture("goatl_fields_v3.json"))
    with serve(jira) as running:
        yield running


def test_first_cloud_run_reads_every_page_with_explicit_fields(fake: FakeJira) -> None:
    issues = recorded_issues()
    fake.route(CLOUD_SEARCH, token_search([issues[:10], issues[10:]]))
    pages = list(connector(fake.url).read("KP", stream("issues"), None))

    assert [len(p.records) for p in pages] == [10, 8, 0]  # the last commits the walk's end
    query = fake.requests_to(CLOUD_SEARCH)[0].query
    assert query["jql"] == "project = KP ORDER BY updated ASC, id ASC"  # no updated clause on a first run
    assert query["expand"] == "changelog" and query["maxResults"] == "100"
    requested = query["fields"].split(",")
    # Story points live in customfield_10036 ("Story Points") on this site, not 10016.
    assert {"customfield_10036", "customfield_10016", "customfield_10020", "customfield_10014"} <= set(
        requested
    )
    assert {"status", "fixVersions", "versions", "timespent", "resolutiondate", "parent"} <= set(requested)
    newest = max(parse_time(i["fields"]["updated"]) for i in issues)
    assert parse_time(pages[-1].state["cursor"]) == newest
    assert pages[-1].state["cursor"].endswith("+00:00")  # stored as UTC
    assert len(fake.requests_to("/rest/api/3/field")) == 1  # resolved once per run


def test_cursor_advances_with_every_page_to_its_oldest_row(fake: FakeJira) -> None:
    issues = recorded_issues()
    fake.route(CLOUD_SEARCH, token_search([issues[:10], issues[10:]]))
    pages = list(connector(fake.url).read("KP", stream("issues"), None))
    # Mid-walk, a page's newest row may be an issue updated while paged, ahead of rows to come.
    first_page_oldest = min(parse_time(i["fields"]["updated"]) for i in issues[:10])
    assert parse_time(pages[0].state["cursor"]) == first_page_oldest  # committed with page one
    assert parse_time(pages[-1].state["cursor"]) == max(parse_time(i["fields"]["updated"]) for i in issues)


def test_incremental_jql_is_epoch_ms_minus_overlap(fake: FakeJira) -> None:
    fake.route(CLOUD_SEARCH, token_search([[]]))
    jira = connector(fake.url, overlap_minutes=15)
    fields = jira._issue_reader().fields
    state = {"cursor": "2021-11-18T00:18:29.845+00:00", "fields": fields}
    pages = list(jira.read("KP", stream("issues"), state))

    since = datetime(2021, 11, 18, 0, 18, 29, 845000, tzinfo=UTC) - timedelta(minutes=15)
    expected = f"project = KP AND updated >= {int(since.timestamp() * 1000)} ORDER BY updated ASC, id ASC"
    assert fake.requests_to(CLOUD_SEARCH)[0].query["jql"] == expected
    assert len(fake.requests_to(CLOUD_SEARCH)) == 1  # a quiet night is one search request
    assert pages[-1].state["cursor"] == state["cursor"]


@pytest.mark.parametrize(
    ("answered_after", "starts_after"),
    [
        # The newest edit was older than the window when the server answered: nothing is read again.
        (timedelta(days=2), timedelta(seconds=1)),
        # ... by less than a second: a write with milliseconds in between may not have been listed.
        (timedelta(minutes=15, milliseconds=300), timedelta(milliseconds=300)),
        # It was inside the window: the search starts at the window, before the cursor.
        (timedelta(minutes=5), timedelta(minutes=-10)),
    ],
)
def test_the_next_search_starts_where_the_last_answer_left_nothing_in_flight(
    fake: FakeJira, answered_after: timedelta, starts_after: timedelta
) -> None:
    fake.route(CLOUD_SEARCH, token_search([[]]))
    jira = connector(fake.url, overlap_minutes=15)
    cursor = datetime(2021, 11, 18, 0, 18, 29, 845000, tzinfo=UTC)
    state = {
        "cursor": cursor.isoformat(timespec="milliseconds"),
        "read_at": (cursor + answered_after).isoformat(),
        "fields": jira._issue_reader().fields,
    }
    pages = list(jira.read("KP", stream("issues"), state))

    since = int((cursor + starts_after).timestamp() * 1000)
    assert f"updated >= {since} ORDER BY" in fake.requests_to(CLOUD_SEARCH)[0].query["jql"]
    # The new state's read time is this search's answer (the fake's Date header: now).
    assert abs(parse_time(pages[-1].state["read_at"]) - datetime.now(UTC)) < timedelta(minutes=1)


def test_changed_field_list_rereads_everything(fake: FakeJira) -> None:
    fake.route(CLOUD_SEARCH, token_search([[]]))
    state = {"cursor": "2021-11-18T00:18:29.845+00:00", "fields": ["summary"]}
    list(connector(fake.url).read("KP", stream("issues"), state))
    assert "updated >=" not in fake.requests_to(CLOUD_SEARCH)[0].query["jql"]


def test_repeated_page_token_stops_with_an_error_once_a_new_search_gains_nothing(fake: FakeJira) -> None:
    issues = recorded_issues()
    fake.route(CLOUD_SEARCH, lambda q: {"issues": issues[:2], "nextPageToken": "stale", "isLast": False})
    with pytest.raises(ConnectorError, match="came back again"):
        list(connector(fake.url).read("KP", stream("issues"), None))
    # The first search moved the cursor, so a second one started from it; that one did not.
    assert len(fake.requests_to(CLOUD_SEARCH)) == 4
    assert "updated >=" in fake.requests_to(CLOUD_SEARCH)[2].query["jql"]


def test_issue_repeated_unchanged_across_pages_is_kept_once(fake: FakeJira) -> None:
    issues = recorded_issues()
    fake.route(CLOUD_SEARCH, token_search([issues[:3], issues[2:4]]))
    pages = list(connector(fake.url).read("KP", stream("issues"), None))
    ids = [r["id"] for p in pages for r in p.records]
    assert ids == [i["id"] for i in issues[:4]]


def test_truncated_changelog_is_fetched_whole(fake: FakeJira) -> None:
    template = recorded_issues()[0]
    long, all_histories = issue_with_history(template, "KP-90", "20090", changes=150, embedded=40)
    short, _ = issue_with_history(template, "KP-91", "20091", changes=3, embedded=3)
    fake.route(CLOUD_SEARCH, token_search([[long, short]]))

    def changelog(query: dict[str, str]) -> dict[str, Any]:
        start, size = int(query["startAt"]), int(query["maxResults"])
        values = all_histories[start : start + size]
        return {
            "startAt": start,
            "maxResults": size,
            "total": 150,
            "isLast": start + size >= 150,
            "values": values,
        }

    fake.route("/rest/api/3/issue/KP-90/changelog", changelog)
    records = next(iter(connector(fake.url).read("KP", stream("issues"), None))).records

    completed = records[0]["changelog"]
    assert completed["total"] == 150 and completed["startAt"] == 0 and completed["maxResults"] == 150
    assert len(completed["histories"]) == 150
    # Newest first, as Jira embeds them, and the embedded ones unchanged at the top.
    assert completed["histories"][:40] == long["changelog"]["histories"]
    assert completed["histories"][-1] == all_histories[0]
    assert records[1] == short  # complete already: untouched, no request
    assert len(fake.requests_to("/rest/api/3/issue/KP-90/changelog")) == 2  # 100 + 50
    assert not fake.requests_to("/rest/api/3/issue/KP-91/changelog")


def test_datacenter_offsets_tolerate_a_changing_total(fake: FakeJira) -> None:
    issues = recorded_issues()
    # Page two repeats an issue (a new one was inserted ahead) and the total grew meanwhile.
    fake.route(DC_SEARCH, offset_search([(issues[:5], 10), (issues[4:10], 13), (issues[10:12], 13)]))
    jira = connector(fake.url, deployment="datacenter", email_env=None)
    started = parse_time(issues[-1]["fields"]["updated"]) + timedelta(days=1)
    pages = list(jira._issue_reader().read("KP", None, now=started))

    ids = [r["id"] for p in pages for r in p.records]
    assert ids == [i["id"] for i in issues[:12]]
    requests = fake.requests_to(DC_SEARCH)
    assert [r.query["startAt"] for r in requests] == ["0", "5", "11"]  # stops once startAt reaches total
    assert requests[0].query["jql"] == "project = KP ORDER BY id ASC"
    assert requests[0].headers["Authorization"] == "Bearer token-1"
    assert all(p.state.get("walk") for p in pages[:-1])  # a killed run resumes mid-walk
    newest = max(parse_time(i["fields"]["updated"]) for i in issues[:12])
    assert parse_time(pages[-1].state["cursor"]) == newest
    assert "walk" not in pages[-1].state


def test_datacenter_walk_resumes_where_it_stopped(fake: FakeJira) -> None:
    issues = recorded_issues()
    fake.route(DC_SEARCH, offset_search([(issues[:5], 8), (issues[5:8], 8)]))
    jira = connector(fake.url, deployment="datacenter", email_env=None)
    walk = {"since_ms": 1_600_000_000_000, "start_at": 5, "started_at": "2030-01-01T00:00:00.000+00:00"}
    state = {
        "cursor": None,
        "fields": jira._issue_reader().fields,
        "walk": walk | {"newest": None, "total": 8, "shrank": False},
    }
    pages = list(jira.read("KP", stream("issues"), state))

    first = fake.requests_to(DC_SEARCH)[0].query
    assert first["startAt"] == "5" and "updated >= 1600000000000" in first["jql"]
    assert [r["id"] for r in pages[0].records] == [i["id"] for i in issues[5:8]]


def test_datacenter_cursor_holds_when_issues_vanish_mid_walk(fake: FakeJira) -> None:
    issues = recorded_issues()
    fake.route(DC_SEARCH, offset_search([(issues[:5], 9), (issues[5:8], 8)]))  # one deleted meanwhile
    jira = connector(fake.url, deployment="datacenter", email_env=None)
    old = "2021-01-01T00:00:00.000+00:00"
    state = {"cursor": old, "fields": jira._issue_reader().fields}
    pages = list(jira.read("KP", stream("issues"), state))
    assert pages[-1].state["cursor"] == old and "walk" not in pages[-1].state  # re-read next run, not skipped


def test_census_cloud_asks_for_ids_only(fake: FakeJira) -> None:
    fake.route(CLOUD_SEARCH, token_search([[{"id": "1"}, {"id": "2"}], [{"id": "3"}]]))
    assert connector(fake.url).census("KP") == {"1", "2", "3"}
    query = fake.requests_to(CLOUD_SEARCH)[0].query
    assert query["fields"] == "id" and query["maxResults"] == "5000"
    assert query["jql"] == "project = KP ORDER BY id ASC"


def test_census_datacenter_retries_a_walk_that_moved(fake: FakeJira) -> None:
    walks = iter([[([{"id": "1"}, {"id": "2"}], 3), ([{"id": "4"}], 2)], [([{"id": "1"}, {"id": "4"}], 2)]])
    current: dict[str, Any] = {}

    def search(query: dict[str, str]) -> Any:
        if query["startAt"] == "0":
            current["route"] = offset_search(next(walks))
        return current["route"](query)

    fake.route(DC_SEARCH, search)
    jira = connector(fake.url, deployment="datacenter", email_env=None)
    assert jira.census("KP") == {"1", "4"}
    assert fake.requests_to(DC_SEARCH)[0].query["maxResults"] == "1000"


def test_census_datacenter_gives_up_when_it_never_settles(fake: FakeJira) -> None:
    fake.route(DC_SEARCH, offset_search([([{"id": "1"}], 3), ([{"id": "2"}], 2)]))
    with pytest.raises(ConnectorError, match="kept changing"):
        connector(fake.url, deployment="datacenter", email_env=None).census("KP")


def test_versions_follow_offsets_until_is_last(fake: FakeJira) -> None:
    first = fixture("spec_project_version_paginated.json")

    def versions(query: dict[str, str]) -> dict[str, Any]:
        if query["startAt"] == "0":
            return first
        return {
            "startAt": 2,
            "maxResults": 2,
            "total": 3,
            "isLast": True,
            "values": [{"id": "10020", "name": "v3"}],
        }

    fake.route("/rest/api/3/project/KP/version", versions)
    pages = list(connector(fake.url).read("KP", stream("versions"), None))
    assert [v["id"] for p in pages for v in p.records] == ["10000", "10010", "10020"]
    assert pages[-1].state == {}


def test_versions_are_not_read_unless_they_are_milestones(fake: FakeJira) -> None:
    assert list(connector(fake.url, milestones=["sprints"]).read("KP", stream("versions"), None)) == []
    assert not fake.requests_to("/rest/api/3/project/KP/version")


def test_shared_board_sprints_count_once_under_the_owner(fake: FakeJira) -> None:
    shared = {"id": 1, "name": "Pay board", "type": "scrum", "location": {"projectKey": "PAY"}}
    kanban = {"id": 2, "name": "Pay flow", "type": "kanban", "location": {"projectKey": "PAY"}}
    web = {"id": 3, "name": "Web board", "type": "simple", "location": {"projectKey": "WEB"}}
    boards = {"PAY": [shared, kanban], "WEB": [shared, web]}
    fake.route(
        "/rest/agile/1.0/board",
        lambda q: {"startAt": 0, "maxResults": 50, "isLast": True, "values": boards[q["projectKeyOrId"]]},
    )
    sprint = fixture("spec_agile_board_sprints.json")["values"][0]
    s10, s11, s30 = ({**sprint, "id": i, "originBoardId": b} for i, b in ((10, 1), (11, 1), (30, 3)))
    sprints = {1: [s10, s11], 3: [s11, s30]}
    for board_id, values in sprints.items():
        fake.route(
            f"/rest/agile/1.0/board/{board_id}/sprint",
            lambda q, v=values: {"startAt": 0, "maxResults": 50, "isLast": True, "values": v},
        )
    fake.route(
        "/rest/agile/1.0/board/2/sprint",
        lambda q: (400, {"errorMessages": ["The board does not support sprints"]}),
    )

    jira = connector(fake.url, projects=["PAY", "WEB"])
    pay = [r for p in jira.read("PAY", stream("sprints"), None) for r in p.records]
    web = [r for p in jira.read("WEB", stream("sprints"), None) for r in p.records]

    assert [s["id"] for s in pay] == [10, 11] and [s["id"] for s in web] == [30]
    assert pay[1]["_trackerlake"] == {"board_ids": [1, 3], "board_projects": ["PAY", "WEB"]}
    assert {k: v for k, v in pay[0].items() if k != "_trackerlake"} == s10  # the record itself untouched
    assert len(fake.requests_to("/rest/agile/1.0/board/1/sprint")) == 1  # boards read once per run


def test_recorded_board_page_skips_kanban_boards(fake: FakeJira) -> None:
    boards = fixture("gojira_agile_boards.json")  # 3 scrum, 3 kanban; only board 1 has a location
    fake.route("/rest/agile/1.0/board", lambda q: boards)
    for board in boards["values"]:
        if board["type"] == "kanban":
            fake.route(
                f"/rest/agile/1.0/board/{board['id']}/sprint",
                lambda q: (400, {"errorMessages": ["no sprints"]}),
            )
    fake.route("/rest/agile/1.0/board/4/sprint", lambda q: fixture("gojira_agile_board_sprints.json"))
    fake.route(
        "/rest/agile/1.0/board/9/sprint",
        lambda q: {"startAt": 0, "maxResults": 50, "isLast": True, "values": []},
    )
    fake.route("/rest/agile/1.0/board/1/sprint", lambda q: fixture("goatl_agile_board_sprints.json"))

    jira = connector(fake.url, projects=["AP", "TEST"])
    by_project = {
        p: [r for page in jira.read(p, stream("sprints"), None) for r in page.records] for p in ("AP", "TEST")
    }
    assert [s["id"] for s in by_project["AP"]] == [740, 776, 807, 832, 845, 846, 4]
    assert by_project["TEST"] == []  # same boards listed under TEST: not counted twice
    assert by_project["AP"][0]["_trackerlake"]["board_projects"] == ["AP", "TEST"]
    assert len(fake.requests_to("/rest/agile/1.0/board")) == 2  # one board list per project


def test_datacenter_versions_use_api_2(fake: FakeJira) -> None:
    versions = fixture("gojira_project_with_versions_apache_api2.json")["versions"]
    fake.route(
        "/rest/api/2/project/KP/version",
        lambda q: {
            "startAt": 0,
            "maxResults": 50,
            "total": len(versions),
            "isLast": True,
            "values": versions,
        },
    )
    jira = connector(fake.url, deployment="datacenter", email_env=None)
    records = [r for page in jira.read("KP", stream("versions"), None) for r in page.records]
    assert [r["name"] for r in records] == [v["name"] for v in versions]


def test_site_streams_are_read_once_under_the_first_project(fake: FakeJira) -> None:
    fake.route(
        "/rest/api/3/status", lambda q: [{"id": "1", "name": "待办", "statusCategory": {"key": "new"}}]
    )
    jira = connector(fake.url, projects=["KP", "WEB"], fields={"story_points": "customfield_10016"})
    assert list(jira.read("WEB", stream("statuses"), None)) == []
    (statuses,) = jira.read("KP", stream("statuses"), None)
    assert statuses.records[0]["name"] == "待办"
    (roles,) = jira.read("KP", stream("field_roles"), None)
    by_role = {r["role"]: r for r in roles.records}
    assert by_role["story_points"] == {
        "role": "story_points",
        "field_ids": ["customfield_10016"],
        "resolved_by": "config",
    }
    assert by_role["sprint"]["field_ids"] == ["customfield_10020"]
    (fields,) = jira.read("KP", stream("fields"), None)
    assert len(fields.records) == 81
    assert len(fake.requests_to("/rest/api/3/field")) == 1


def test_check_and_cloud_auth(fake: FakeJira) -> None:
    fake.route("/rest/api/3/project/KP", lambda q: {"id": "10000", "key": "KP"})
    connector(fake.url).check()
    (request,) = fake.requests_to("/rest/api/3/project/KP")
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"me@example.com:token-1").decode()


def test_check_fails_on_an_unknown_project(fake: FakeJira) -> None:
    with pytest.raises(ConnectorError, match="404"):
        connector(fake.url, projects=["NOPE"]).check()


def test_issue_fields_list_every_resolved_candidate() -> None:
    fields = issue_fields(
        {"story_points": ["customfield_10036", "customfield_10016"], "sprint": ["customfield_10020"]}
    )
    assert fields[-3:] == ["customfield_10036", "customfield_10016", "customfield_10020"]
    assert len(fields) == len(set(fields))


def test_changed_override_rereads_everything_but_a_lost_field_does_not(fake: FakeJira) -> None:
    fake.route(CLOUD_SEARCH, token_search([[]]))
    previous = next(iter(connector(fake.url).read("KP", stream("issues"), None))).state
    state = previous | {"cursor": "2021-11-18T00:18:29.845+00:00"}

    list(
        connector(fake.url, fields={"story_points": "customfield_10099"}).read("KP", stream("issues"), state)
    )
    assert "updated >=" not in fake.requests_to(CLOUD_SEARCH)[-1].query["jql"]  # a new field: re-read

    fake.route("/rest/api/3/field", lambda q: [])  # discovery lost every custom field
    pages = list(connector(fake.url).read("KP", stream("issues"), state))
    query = fake.requests_to(CLOUD_SEARCH)[-1].query
    assert "updated >=" in query["jql"]
    assert query["fields"].split(",") == previous["fields"]  # the last known fields, still asked for
    assert pages[-1].state["roles"] == previous["roles"]


def test_field_roles_remember_what_the_field_list_resolved_not_the_overrides(fake: FakeJira) -> None:
    jira = connector(fake.url, fields={"story_points": "customfield_10099"})
    (page,) = jira.read("KP", stream("field_roles"), None)
    assert "story_points" not in page.state["roles"]  # config's choice: not compared next run
    assert page.state["roles"]["sprint"] == ["customfield_10020"]

    fake.route("/rest/api/3/field", lambda q: [])
    (page,) = connector(fake.url).read("KP", stream("field_roles"), page.state)
    by_role = {r["role"]: r for r in page.records}
    assert by_role["story_points"] == {"role": "story_points", "field_ids": [], "resolved_by": "field_list"}
    assert by_role["sprint"]["field_ids"] == ["customfield_10020"]
    assert by_role["sprint"]["resolved_by"] == "last_known"
