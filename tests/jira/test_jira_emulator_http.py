"""The Jira emulator over real HTTP: paging, JQL, Data Center search, changelogs, boards, limits, auth."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
from jira_support import AS_OF, base_fixture, demo_site, served, session, site_fixture  # noqa: F401 (the fixtures)

from emulators.jira.model import JiraSite

JQL = "project = PAY ORDER BY updated ASC, id ASC"


@pytest.fixture
def jira(request: pytest.FixtureRequest) -> Iterator[requests.Session]:
    client = session(request.node.nodeid)
    yield client
    client.close()


def search_all(jira: requests.Session, base: str, jql: str, **params: Any) -> list[dict[str, Any]]:
    """Every issue of a search/jql, following nextPageToken until isLast, as a connector does."""
    pages, token, seen = [], None, set()
    while True:
        query = {"jql": jql, **params, **({"nextPageToken": token} if token else {})}
        response = jira.get(f"{base}/rest/api/3/search/jql", params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body)
        if body["isLast"]:
            assert "nextPageToken" not in body
            return [issue for page in pages for issue in page["issues"]]
        token = body["nextPageToken"]
        assert token not in seen
        seen.add(token)


def pay_ids(site: JiraSite) -> list[str]:
    return [
        str(i.id)
        for i in sorted(site.issues.values(), key=lambda i: (i.updated, i.id))
        if i.project.key == "PAY"
    ]


def test_token_paging_reads_every_issue_once_and_ends_on_is_last(
    jira: requests.Session, base: str, site: JiraSite
) -> None:
    issues = search_all(jira, base, JQL, maxResults=40)
    assert [issue["id"] for issue in issues] == pay_ids(site)
    assert set(issues[0]) == {"id"}  # fields default to the id only


def test_page_sizes_are_capped_like_cloud(jira: requests.Session, base: str) -> None:
    with_fields = jira.get(
        f"{base}/rest/api/3/search/jql", params={"jql": JQL, "fields": "summary", "maxResults": 500}
    )
    assert len(with_fields.json()["issues"]) == 100 and with_fields.json()["isLast"] is False
    census = jira.post(
        f"{base}/rest/api/3/search/jql", json={"jql": JQL, "fields": ["id"], "maxResults": 5000}
    )
    assert census.json()["isLast"] is True and len(census.json()["issues"]) > 100


def test_pages_stay_stable_while_issues_change_and_deleted_ones_vanish() -> None:
    site = demo_site()
    with served(site) as base, session("stable") as jira:
        first = jira.get(f"{base}/rest/api/3/search/jql", params={"jql": JQL, "maxResults": 50}).json()
        seen = [issue["id"] for issue in first["issues"]]
        site.advance(minutes=5)
        site.update_issue(
            site.issue(seen[0]).key, summary="Touched while paging"
        )  # jumps to the end of the order
        gone = site.issue(pay_ids(site)[60])
        site.delete_issue(gone.key)
        rest = jira.get(
            f"{base}/rest/api/3/search/jql",
            params={"jql": JQL, "maxResults": 5000, "nextPageToken": first["nextPageToken"]},
        ).json()
        ids = seen + [issue["id"] for issue in rest["issues"]]
        assert len(ids) == len(set(ids)) and str(gone.id) not in ids
        assert len(ids) == len(pay_ids(site))
        census = search_all(jira, base, "project = PAY", fields="id", maxResults=5000)
        assert {issue["id"] for issue in census} == set(pay_ids(site))


def test_tokens_are_tied_to_their_query_and_expire() -> None:
    site = demo_site()
    with served(site) as base, session("expiry") as jira:
        token = jira.get(f"{base}/rest/api/3/search/jql", params={"jql": JQL, "maxResults": 10}).json()[
            "nextPageToken"
        ]
        other = jira.get(
            f"{base}/rest/api/3/search/jql", params={"jql": "project = WEB", "nextPageToken": token}
        )
        assert other.status_code == 400
        site.advance(days=8)
        expired = jira.get(f"{base}/rest/api/3/search/jql", params={"jql": JQL, "nextPageToken": token})
        assert expired.status_code == 400 and expired.json()["errorMessages"]


def test_updated_since_epoch_milliseconds(jira: requests.Session, base: str, site: JiraSite) -> None:
    cutoff = AS_OF - timedelta(days=10)
    millis = int(cutoff.timestamp() * 1000)
    found = search_all(
        jira, base, f"project = PAY AND updated >= {millis} ORDER BY updated ASC, id ASC", maxResults=100
    )
    expected = [str(i.id) for i in sorted(site.issues.values(), key=lambda i: (i.updated, i.id))
                if i.project.key == "PAY" and i.updated >= cutoff]  # fmt: skip
    assert [issue["id"] for issue in found] == expected and expected


def test_date_strings_are_read_in_the_users_time_zone(
    jira: requests.Session, base: str, site: JiraSite
) -> None:
    """A JQL date is wall-clock time in the user's zone (Asia/Shanghai here), not UTC: the trap
    that epoch milliseconds avoid."""
    updates = sorted(issue.updated for issue in site.issues.values() if issue.project.key == "PAY")
    wall = next(
        b
        for a, b in zip(updates, updates[1:], strict=False)
        if timedelta(minutes=2) < b - a < timedelta(hours=7)
    )
    wall = wall.replace(second=0, microsecond=0)

    def since(bound: str) -> list[str]:
        return [
            issue["id"]
            for issue in search_all(jira, base, f"project = PAY AND updated >= {bound}", maxResults=100)
        ]

    by_text = since(f'"{wall:%Y-%m-%d %H:%M}"')
    assert by_text == since(str(int((wall - timedelta(hours=8)).timestamp() * 1000)))
    assert len(by_text) > len(since(str(int(wall.timestamp() * 1000))))


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ("project = PAY AND labels = customer", "Field 'labels' does not exist"),
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
        ("ORDER BY updated ASC", "Unbounded JQL queries are not allowed here"),
        ("project = PAY AND updated >= yesterday", "Date value 'yesterday'"),
        ("project = PAY ORDER updated", "Error in the JQL Query"),
    ],
)
def test_unsupported_or_wrong_jql_is_a_400_in_jiras_words(
    jira: requests.Session, base: str, jql: str, message: str
) -> None:
    response = jira.get(f"{base}/rest/api/3/search/jql", params={"jql": jql})
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"errorMessages", "errors"} and message in body["errorMessages"][0]


def test_legacy_cloud_search_is_gone(jira: requests.Session, base: str) -> None:
    for method in ("get", "post"):
        response = getattr(jira, method)(f"{base}/rest/api/3/search", params={"jql": JQL})
        assert response.status_code == 410
        assert "CHANGE-2046" in response.json()["errorMessages"][0]


def test_data_center_offset_paging_with_a_moving_total() -> None:
    site = demo_site()
    with served(site) as base, requests.Session() as dc:
        dc.headers["Authorization"] = "Bearer data-center-pat"
        params = {"jql": "project = WEB ORDER BY key ASC", "maxResults": 40, "fields": "summary"}
        first = dc.get(f"{base}/rest/api/2/search", params={**params, "startAt": 0}).json()
        total = first["total"]
        assert (first["startAt"], first["maxResults"], len(first["issues"])) == (0, 40, 40)
        assert first["issues"][0]["key"] == "WEB-1" and "summary" in first["issues"][0]["fields"]
        site.delete_issue(first["issues"][3]["key"])  # an issue already read goes away
        second = dc.post(f"{base}/rest/api/2/search", json={**params, "startAt": 40}).json()
        assert second["total"] == total - 1
        assert second["issues"][0]["key"] != first["issues"][-1]["key"]  # shifted: offset paging skipped one
        default = dc.get(f"{base}/rest/api/2/search", params={"jql": "project = WEB"}).json()
        assert default["maxResults"] == 50 and "status" in default["issues"][0]["fields"]  # *navigable


def test_changelog_embed_is_capped_and_the_changelog_endpoint_has_it_all(
    jira: requests.Session, base: str, site: JiraSite
) -> None:
    longest = max(site.issues.values(), key=lambda issue: len(issue.histories))
    assert len(longest.histories) >= 150
    params = {"jql": f"key = {longest.key}", "fields": "status", "expand": "changelog"}
    embedded = jira.get(f"{base}/rest/api/3/search/jql", params=params).json()["issues"][0]["changelog"]
    assert embedded["total"] == len(longest.histories) and len(embedded["histories"]) == 40
    newest = [str(history.id) for history in reversed(longest.histories[-40:])]
    assert [history["id"] for history in embedded["histories"]] == newest

    values, url = [], f"{base}/rest/api/3/issue/{longest.key}/changelog?startAt=0&maxResults=1000"
    while url:
        page = jira.get(url).json()
        assert page["maxResults"] == 100 and page["total"] == len(longest.histories)
        values += page["values"]
        url = page.get("nextPage") if not page["isLast"] else None
    assert [value["id"] for value in values] == [str(history.id) for history in longest.histories]
    created = [datetime.strptime(value["created"], "%Y-%m-%dT%H:%M:%S.%f%z") for value in values]
    assert created == sorted(created)


def test_issue_get_on_data_center_paths_embeds_the_whole_changelog(
    jira: requests.Session, base: str, site: JiraSite
) -> None:
    longest = max(site.issues.values(), key=lambda issue: len(issue.histories))
    body = jira.get(f"{base}/rest/api/2/issue/{longest.key}", params={"expand": "changelog"}).json()
    assert len(body["changelog"]["histories"]) == len(longest.histories)
    assert isinstance(body["fields"]["description"], str)  # v2 writes plain text, v3 ADF


def test_bulkfetch_pages_filters_by_field_and_refuses_too_many(
    jira: requests.Session, base: str, site: JiraSite
) -> None:
    chosen = [issue for issue in site.issues.values() if issue.project.key == "PAY"][:30]
    expected = sum(
        1
        for issue in chosen
        for history in issue.histories
        if any(i.field_id == "status" for i in history.items)
    )
    body: dict[str, Any] = {
        "issueIdsOrKeys": [issue.key for issue in chosen],
        "fieldIds": ["status"],
        "maxResults": 25,
    }
    histories, pages = [], 0
    while True:
        page = jira.post(f"{base}/rest/api/3/changelog/bulkfetch", json=body).json()
        pages += 1
        for log in page["issueChangeLogs"]:
            histories += log["changeHistories"]
        if "nextPageToken" not in page:
            break
        body["nextPageToken"] = page["nextPageToken"]
    assert len(histories) == expected and pages > 1
    assert all(item["fieldId"] == "status" for history in histories for item in history["items"])
    too_many = jira.post(
        f"{base}/rest/api/3/changelog/bulkfetch", json={"issueIdsOrKeys": [str(n) for n in range(1001)]}
    )
    assert too_many.status_code == 400 and too_many.json()["errorMessages"]


def test_kanban_boards_have_no_sprints_and_a_shared_board_repeats_sprints(
    jira: requests.Session, base: str, site: JiraSite
) -> None:
    boards = {
        key: jira.get(f"{base}/rest/agile/1.0/board", params={"projectKeyOrId": key}).json()["values"]
        for key in ("PAY", "WEB")
    }
    kanban = next(board for board in boards["WEB"] if board["type"] == "kanban")
    refused = jira.get(f"{base}/rest/agile/1.0/board/{kanban['id']}/sprint")
    assert refused.status_code == 400
    assert refused.json() == {"errorMessages": ["The board does not support sprints"], "errors": {}}
    shared = {board["id"] for board in boards["PAY"]} & {board["id"] for board in boards["WEB"]}
    assert len(shared) == 1
    listed = [
        sprint["id"]
        for board in boards["PAY"]
        for sprint in jira.get(f"{base}/rest/agile/1.0/board/{board['id']}/sprint").json()["values"]
    ]
    assert len(listed) > len(set(listed)) == len(site.sprints)  # a naive walk counts PAY's sprints twice


def test_versions_paging_and_order(jira: requests.Session, base: str) -> None:
    names, url = [], f"{base}/rest/api/3/project/PAY/version?maxResults=4&orderBy=-releaseDate"
    while url:
        page = jira.get(url).json()
        names += [version["name"] for version in page["values"]]
        url = page.get("nextPage")
    assert names == [
        "2026.7",
        "2026.6",
        "2026.5",
        "2026.4",
        "2026.3",
        "2026.2",
        "2026.1",
        "2026.3.1",
        "2027.1",
    ]
    released = jira.get(f"{base}/rest/api/3/project/PAY/version", params={"status": "released"}).json()[
        "values"
    ]
    assert {v["name"] for v in released} == {"2026.1", "2026.2", "2026.3", "2026.3.1"}
    assert all(v["released"] for v in released)


def test_requests_past_the_budget_get_429_with_retry_after(site: JiraSite) -> None:
    with served(site, rate_limit=3) as base, session("budget") as jira, session("other") as other:
        statuses = [jira.get(f"{base}/rest/api/3/field").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        refused = jira.get(f"{base}/rest/api/3/field")
        assert int(refused.headers["Retry-After"]) >= 1
        assert datetime.strptime(refused.headers["X-RateLimit-Reset"], "%Y-%m-%dT%H:%MZ")
        assert refused.headers["RateLimit-Reason"]
        assert refused.json()["errorMessages"]
        assert other.get(f"{base}/rest/api/3/field").status_code == 200  # budgets are per credential


def test_no_credentials_is_a_401_in_jiras_shape(base: str) -> None:
    for headers in ({}, {"Authorization": "Basic " + "bm8tdG9rZW46"}, {"Authorization": "Bearer "}):
        response = requests.get(f"{base}/rest/api/3/search/jql", params={"jql": JQL}, headers=headers)
        assert response.status_code == 401
        assert response.json() == {
            "errorMessages": [
                "You are not authenticated. Authentication required to perform this operation."
            ],
            "errors": {},
        }


def test_same_seed_same_bytes() -> None:
    requests_made = [
        (
            "get",
            "/rest/api/3/search/jql",
            {"jql": JQL, "fields": "*all", "expand": "changelog", "maxResults": 30},
        ),
        ("get", "/rest/api/3/project/WEB/version", {}),
        ("get", "/rest/agile/1.0/board/1/sprint", {}),
        ("get", "/rest/api/3/field", {}),
    ]
    answers = []
    for _ in range(2):
        with served(demo_site()) as base, session("same") as jira:
            answers.append([
                getattr(jira, method)(f"{base}{path}", params=params).content.replace(base.encode(), b"BASE")
                for method, path, params in requests_made
            ])  # fmt: skip
    assert answers[0] == answers[1]
    with served(demo_site(seed=8)) as base, session("other seed") as jira:
        other = jira.get(f"{base}{requests_made[0][1]}", params=requests_made[0][2]).content.replace(
            base.encode(), b"BASE"
        )
    assert other != answers[0][0]
