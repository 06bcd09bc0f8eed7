"""The GitLab emulator over loopback HTTP: auth, rate limits, offset and keyset paging, filters, refusals."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests
from gitlab_emulator_support import generate, get_all, serve, session

from emulators.gitlab.model import GitLabModel
from emulators.org import Clock, Org

ISSUES = "/projects/acme-cloud%2Fapi-gateway/issues"


@pytest.fixture(scope="module")
def demo() -> Iterator[tuple[GitLabModel, str]]:
    model, org = generate()
    with serve(model, org) as base:
        yield model, base


@pytest.fixture
def client(request: pytest.FixtureRequest) -> requests.Session:
    """A session with a token of its own: a fresh rate-limit budget per test."""
    return session("glpat-" + hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:20])


def parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


# -- auth and rate limits -------------------------------------------------------------------------


def test_requests_without_a_token_are_refused_as_gitlab_does(demo: tuple[GitLabModel, str]) -> None:
    _, base = demo
    for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"PRIVATE-TOKEN": ""}):
        response = requests.get(f"{base}/projects/1", headers=headers)
        assert response.status_code == 401
        assert response.json() == {"message": "401 Unauthorized"}


def test_private_token_and_bearer_are_both_accepted(demo: tuple[GitLabModel, str]) -> None:
    _, base = demo
    private = requests.get(f"{base}/projects/1", headers={"PRIVATE-TOKEN": "glpat-a"})
    bearer = requests.get(f"{base}/projects/1", headers={"Authorization": "Bearer oauth-b"})
    assert private.status_code == bearer.status_code == 200
    assert private.json() == bearer.json()


def test_a_spent_budget_answers_429_with_retry_after_and_ratelimit_headers() -> None:
    model, org = generate(scale=0.1)
    with serve(model, org, rate_limit=3) as base:
        client = session("glpat-budget")
        answers = [client.get(f"{base}/projects/1") for _ in range(4)]
        other = session("glpat-other").get(f"{base}/projects/1")
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert [answer.headers["RateLimit-Remaining"] for answer in answers] == ["2", "1", "0", "0"]
    assert [answer.headers["RateLimit-Observed"] for answer in answers[:3]] == ["1", "2", "3"]
    assert all(answer.headers["RateLimit-Limit"] == "3" for answer in answers)
    assert not any(name.lower().startswith("x-ratelimit") for name in answers[0].headers)
    refused = answers[3]
    assert refused.text == "Retry later\n"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert int(refused.headers["RateLimit-Reset"]) >= int(answers[0].headers["RateLimit-Reset"])
    assert other.status_code == 200  # the budget is per token


# -- offset paging ----------------------------------------------------------------------------------


def test_offset_pages_carry_links_and_x_headers(
    demo: tuple[GitLabModel, str], client: requests.Session
) -> None:
    _, base = demo
    first = client.get(f"{base}{ISSUES}", params={"per_page": 7})
    assert first.status_code == 200
    assert len(first.json()) == 7
    assert {key: first.headers[key] for key in ("X-Page", "X-Per-Page", "X-Next-Page", "X-Prev-Page")} == {
        "X-Page": "1", "X-Per-Page": "7", "X-Next-Page": "2", "X-Prev-Page": "",
    }  # fmt: skip
    assert first.headers["X-Total"] == "120"
    assert first.headers["X-Total-Pages"] == str(math.ceil(120 / 7)) == "18"
    assert set(first.links) == {"next", "first", "last"}
    last = client.get(first.links["last"]["url"])
    assert len(last.json()) == 120 - 17 * 7 == 1
    assert last.headers["X-Next-Page"] == "" and last.headers["X-Prev-Page"] == "17"
    assert set(last.links) == {"prev", "first", "last"}


def test_per_page_is_capped_at_100_and_defaults_to_20(
    demo: tuple[GitLabModel, str], client: requests.Session
) -> None:
    _, base = demo
    assert client.get(f"{base}{ISSUES}", params={"per_page": 500}).headers["X-Per-Page"] == "100"
    assert len(client.get(f"{base}{ISSUES}", params={"per_page": 500}).json()) == 100
    assert len(client.get(f"{base}{ISSUES}").json()) == 20


def test_default_order_is_newest_created_first(
    demo: tuple[GitLabModel, str], client: requests.Session
) -> None:
    model, base = demo
    served = [issue["iid"] for issue in get_all(client, f"{base}{ISSUES}")]
    assert served == sorted(model.project("acme-cloud/api-gateway").issues, reverse=True)  # type: ignore[union-attr]


def big_project(issues: int) -> tuple[GitLabModel, Org]:
    clock = Clock(datetime(2026, 1, 1, tzinfo=UTC))
    model = GitLabModel(clock)
    author = model.add_user("li-na", "李娜")
    project = model.add_project(model.add_group("big", "Big"), "many", "Many", author)
    for number in range(issues):
        clock.set(clock.now + timedelta(seconds=1))
        project.create_issue(author, f"Issue {number}")
    return model, Org(models={"gitlab": model}, clock_source=clock)


def test_past_10000_items_totals_and_the_last_link_are_left_out() -> None:
    model, org = big_project(10_001)
    with serve(model, org) as base:
        client = session()
        counted = client.get(f"{base}/projects/big%2Fmany/issues", params={"per_page": 100, "iids[]": 1})
        page = client.get(f"{base}/projects/big%2Fmany/issues", params={"per_page": 100, "page": 100})
    assert counted.headers["X-Total"] == "1"
    assert "X-Total" not in page.headers and "X-Total-Pages" not in page.headers
    assert set(page.links) == {"prev", "next", "first"}
    assert page.headers["X-Next-Page"] == "101"
    assert page.json()[-1]["iid"] == 10_001 - 100 * 100 + 1 == 2


# -- keyset paging ----------------------------------------------------------------------------------


def test_keyset_pages_link_only_the_next_page_and_match_offset_paging(
    demo: tuple[GitLabModel, str], client: requests.Session
) -> None:
    _, base = demo
    params = {"order_by": "updated_at", "sort": "asc", "per_page": 25}
    response = client.get(f"{base}{ISSUES}", params={**params, "pagination": "keyset"})
    walked, pages = [], 0
    while True:
        pages += 1
        assert "X-Total" not in response.headers and "X-Page" not in response.headers
        walked += response.json()
        if "next" not in response.links:
            break
        assert set(response.links) == {"next"}
        assert "cursor=" in response.links["next"]["url"] and "&page=" not in response.links["next"]["url"]
        response = client.get(response.links["next"]["url"])
    assert pages == math.ceil(120 / 25) == 5
    offset = get_all(client, f"{base}{ISSUES}", order_by="updated_at", sort="asc")
    assert [issue["id"] for issue in walked] == [issue["id"] for issue in offset]
    stamps = [parse(issue["updated_at"]) for issue in walked]
    assert stamps == sorted(stamps)


def test_keyset_descending_by_created_at(demo: tuple[GitLabModel, str], client: requests.Session) -> None:
    _, base = demo
    walked = get_all(
        client, f"{base}{ISSUES}", pagination="keyset", order_by="created_at", sort="desc", per_page=50
    )
    assert [issue["iid"] for issue in walked] == list(range(120, 0, -1))


def test_an_issue_edited_mid_walk_comes_again_after_the_cursor() -> None:
    model, org = generate(scale=0.2)
    project = model.project("acme-cloud/billing")
    assert project is not None
    with serve(model, org) as base:
        client = session()
        url = f"{base}/projects/{project.id}/issues"
        first = client.get(
            url, params={"pagination": "keyset", "order_by": "updated_at", "sort": "asc", "per_page": 5}
        )
        edited = first.json()[0]["iid"]
        org.advance(minutes=5)
        project.comment(edited)
        rest = get_all(client, first.links["next"]["url"])
    assert [issue["iid"] for issue in rest][-1] == edited
    assert len(first.json()) + len(rest) == len(project.issues) + 1


def test_unsupported_keyset_orders_fall_back_to_offset_paging(
    demo: tuple[GitLabModel, str], client: requests.Session
) -> None:
    _, base = demo
    response = client.get(
        f"{base}{ISSUES}", params={"pagination": "keyset", "order_by": "priority", "per_page": 10}
    )
    assert response.headers["X-Page"] == "1" and response.headers["X-Total"] == "120"


def test_projects_keyset_by_id_links_id_after(
    demo: tuple[GitLabModel, str], client: requests.Session
) -> None:
    _, base = demo
    params = {"pagination": "keyset", "order_by": "id", "sort": "asc", "per_page": 3}
    first = client.get(f"{base}/projects", params=params)
    assert [project["id"] for project in first.json()] == [1, 2, 3]
    assert first.links["next"]["url"].endswith("id_after=3")
    second = client.get(first.links["next"]["url"])
    assert [project["id"] for project in second.json()] == [4]
    assert "Link" not in second.headers
    refused = client.get(f"{base}/projects", params={**params, "order_by": "name"})
    assert refused.status_code == 405


# -- filters ----------------------------------------------------------------------------------------


def test_updated_after_keeps_issues_updated_on_or_after_it(
    demo: tuple[GitLabModel, str], client: requests.Session
) -> None:
    model, base = demo
    issues = model.project("acme-cloud/api-gateway").issues.values()  # type: ignore[union-attr]
    boundary = sorted(issue.updated_at for issue in issues)[100]  # the 101st oldest update
    stamp = boundary.strftime("%Y-%m-%dT%H:%M:%SZ")
    for order in ("updated_at", "created_at"):
        served = get_all(client, f"{base}{ISSUES}", updated_after=stamp, order_by=order)
        assert all(parse(issue["updated_at"]) >= boundary for issue in served)
        assert len(served) == sum(issue.updated_at >= boundary for issue in issues) >= 20
        assert any(parse(issue["updated_at"]) == boundary for issue in served)  # inclusive


def test_merge_requests_filter_by_state_and_updated_after(
    demo: tuple[GitLabModel, str], client: requests.Session
) -> None:
    model, base = demo
    project = model.project("acme-cloud/console")
    assert project is not None
    url = f"{base}/projects/acme-cloud%2Fconsole/merge_requests"
    every = get_all(client, url)  # state defaults to all
    assert len(every) == len(project.merge_requests)
    merged = get_all(client, url, state="merged")
    assert {item["iid"] for item in merged} == {
        mr.iid for mr in project.merge_requests.values() if mr.state == "merged"
    }
    cutoff = sorted(mr.updated_at for mr in project.merge_requests.values())[-5]
    recent = get_all(client, url, updated_after=cutoff.isoformat())
    assert len(recent) == 5


def test_project_milestones_include_the_groups_with_include_ancestors(
    demo: tuple[GitLabModel, str], client: requests.Session
) -> None:
    _, base = demo
    url = f"{base}/projects/acme-cloud%2Fbilling/milestones"
    own = [item["title"] for item in get_all(client, url)]
    with_group = [item["title"] for item in get_all(client, url, include_ancestors="true")]
    assert sorted(own) == ["2026.10", "2026.11"]
    assert sorted(with_group) == ["2026.10", "2026.11", "2027 H1", "Q3 launch", "Q4 launch"]
    assert [item["title"] for item in get_all(client, url, state="closed")] == ["2026.10"]


def test_iterations_filter_by_state_and_a_free_group_has_none(
    demo: tuple[GitLabModel, str], client: requests.Session
) -> None:
    _, base = demo
    every = get_all(client, f"{base}/groups/acme-cloud/iterations")
    current = get_all(client, f"{base}/groups/acme-cloud/iterations", state="current")
    opened = get_all(client, f"{base}/groups/acme-cloud/iterations", state="opened")
    assert len(current) == 1 and current[0]["state"] == 2
    assert {item["state"] for item in opened} == {1, 2}
    assert len(every) == len(opened) + sum(item["state"] == 3 for item in every)
    refused = client.get(f"{base}/groups/acme-oss/iterations")
    assert refused.status_code == 403 and refused.json() == {"message": "403 Forbidden"}


# -- lookups and refusals ---------------------------------------------------------------------------


def test_a_project_is_found_by_id_or_url_encoded_path(
    demo: tuple[GitLabModel, str], client: requests.Session
) -> None:
    _, base = demo
    by_path = client.get(f"{base}/projects/acme-cloud%2Fbilling").json()
    assert client.get(f"{base}/projects/{by_path['id']}").json() == by_path
    assert client.get(f"{base}/projects/acme-cloud/billing").status_code == 404  # the path must be encoded
    missing = client.get(f"{base}/projects/acme-cloud%2Fnope")
    assert missing.status_code == 404 and missing.json() == {"message": "404 Project Not Found"}
    assert client.get(f"{base}/nothing/here").json() == {"error": "404 Not Found"}


def test_bad_parameters_are_refused_with_gitlabs_error(
    demo: tuple[GitLabModel, str], client: requests.Session
) -> None:
    _, base = demo
    bad_state = client.get(f"{base}{ISSUES}", params={"state": "open"})
    assert bad_state.status_code == 400 and bad_state.json() == {"error": "state does not have a valid value"}
    bad_time = client.get(f"{base}{ISSUES}", params={"updated_after": "yesterday"})
    assert bad_time.status_code == 400 and bad_time.json() == {"error": "updated_after is invalid"}


def test_an_unchanged_answer_is_304_for_its_etag(
    demo: tuple[GitLabModel, str], client: requests.Session
) -> None:
    _, base = demo
    first = client.get(f"{base}{ISSUES}")
    again = client.get(f"{base}{ISSUES}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""
