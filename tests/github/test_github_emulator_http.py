"""The GitHub emulator over real HTTP: paging, filters, conditional requests, auth and rate limits."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from urllib.parse import urlsplit

import pytest
import requests
from github_support import example, get_all

from emulators.github.api import GitHubApi
from emulators.org import Org
from emulators.rate_limit import RateLimits
from emulators.server import EmulatorServer


def rels(link_header: str) -> list[str]:
    return re.findall(r'rel="(\w+)"', link_header)


def recorded_link(name: str) -> str:
    return dict(example(name)["headers"])["Link"]


def test_link_headers_page_like_the_recorded_api(server: EmulatorServer, gh: requests.Session) -> None:
    first = gh.get(f"{server.github_url}/repos/acme/web/issues", params={"per_page": 3})
    assert first.status_code == 200 and len(first.json()) == 3
    assert (
        rels(first.headers["Link"]) == rels(recorded_link("paginate_issues_page1.json")) == ["next", "last"]
    )
    # Like the real API, the links name the repository by id, keep the query and add page=.
    repo_id = gh.get(f"{server.github_url}/repos/acme/web").json()["id"]
    next_url = urlsplit(first.links["next"]["url"])
    assert f"{next_url.scheme}://{next_url.netloc}" == server.url
    assert next_url.path == f"/github/repositories/{repo_id}/issues"
    assert next_url.query == "per_page=3&page=2"

    second = gh.get(first.links["next"]["url"])
    assert rels(second.headers["Link"]) == rels(recorded_link("paginate_issues_page2.json"))
    assert rels(second.headers["Link"]) == ["prev", "next", "last", "first"]

    last = gh.get(first.links["last"]["url"])
    assert (
        rels(last.headers["Link"]) == rels(recorded_link("paginate_issues_page5.json")) == ["prev", "first"]
    )
    assert 1 <= len(last.json()) <= 3


def test_following_next_reads_every_open_item_once(
    server: EmulatorServer, gh: requests.Session, demo_org: Org
) -> None:
    items = get_all(gh, f"{server.github_url}/repos/acme/api/issues", per_page=7)
    numbers = [item["number"] for item in items]
    repo = demo_org.github.repo("acme/api")
    assert repo is not None
    expected = sorted((item.number for item in repo.issues.values() if item.state == "open"), reverse=True)
    assert numbers == expected  # default: state=open, sort=created, direction=desc


def test_a_single_page_has_no_link_header(server: EmulatorServer, gh: requests.Session) -> None:
    response = gh.get(f"{server.github_url}/repos/acme/web/milestones", params={"state": "all"})
    assert response.status_code == 200 and "Link" not in response.headers
    assert isinstance(response.json(), list)


def test_per_page_is_clamped_to_100_and_defaults_to_30(server: EmulatorServer, gh: requests.Session) -> None:
    url = f"{server.github_url}/repos/acme/web/issues"
    assert len(gh.get(url, params={"state": "all", "per_page": 500}).json()) == 100
    assert len(gh.get(url, params={"state": "all"}).json()) == 30
    assert len(gh.get(url, params={"state": "all", "per_page": "lots"}).json()) == 30
    assert gh.get(url, params={"state": "all", "page": 999}).json() == []


def test_state_since_sort_and_direction_filter_issues(server: EmulatorServer, gh: requests.Session) -> None:
    url = f"{server.github_url}/repos/acme/web/issues"
    everything = get_all(gh, url, state="all")
    closed = get_all(gh, url, state="closed")
    assert closed and {item["state"] for item in closed} == {"closed"}
    assert len(closed) + len(get_all(gh, url)) == len(everything)

    since = sorted(item["updated_at"] for item in everything)[len(everything) // 2]
    changed = get_all(gh, url, state="all", since=since, sort="updated", direction="asc")
    assert [item["updated_at"] for item in changed] == sorted(item["updated_at"] for item in changed)
    assert {item["number"] for item in changed} == {
        item["number"] for item in everything if item["updated_at"] >= since
    }

    oldest_first = get_all(gh, url, state="all", direction="asc")
    assert [item["created_at"] for item in oldest_first] == sorted(item["created_at"] for item in everything)
    by_comments = get_all(gh, url, state="all", sort="comments")
    assert [item["comments"] for item in by_comments] == sorted(
        (item["comments"] for item in everything), reverse=True
    )


def test_pulls_sort_like_github(server: EmulatorServer, gh: requests.Session) -> None:
    url = f"{server.github_url}/repos/acme/web/pulls"
    open_pulls = get_all(gh, url)
    assert open_pulls and {item["state"] for item in open_pulls} == {"open"}
    # direction defaults to desc for sort=created, to asc for any other sort.
    newest = get_all(gh, url, state="all")
    assert [item["created_at"] for item in newest] == sorted(
        (item["created_at"] for item in newest), reverse=True
    )
    updated = get_all(gh, url, state="all", sort="updated")
    assert [item["updated_at"] for item in updated] == sorted(item["updated_at"] for item in updated)
    merged = [item for item in newest if item["merged_at"]]
    assert merged and all(item["head"]["ref"] for item in merged)


def test_milestones_sort_by_due_on_with_undated_ones_last(
    server: EmulatorServer, gh: requests.Session
) -> None:
    milestones = get_all(gh, f"{server.github_url}/repos/acme/web/milestones", state="all")
    due = [item["due_on"] for item in milestones]
    dated = [value for value in due if value is not None]
    assert due == sorted(dated) + [None] * (len(due) - len(dated))
    assert [item["state"] for item in get_all(gh, f"{server.github_url}/repos/acme/web/milestones")] == [
        "open"
    ] * 4


def test_repo_events_come_newest_first(server: EmulatorServer, gh: requests.Session) -> None:
    events = get_all(gh, f"{server.github_url}/repos/acme/web/issues/events")
    assert [event["id"] for event in events] == sorted((event["id"] for event in events), reverse=True)
    assert [event["created_at"] for event in events] == sorted(
        (e["created_at"] for e in events), reverse=True
    )


@pytest.mark.parametrize(
    "query", [{"state": "opened"}, {"sort": "title"}, {"direction": "up"}, {"since": "yesterday"}]
)
def test_invalid_parameters_are_refused_with_422(
    server: EmulatorServer, gh: requests.Session, query: dict
) -> None:
    response = gh.get(f"{server.github_url}/repos/acme/web/issues", params=query)
    assert response.status_code == 422
    assert response.json()["message"] == "Validation Failed"


def test_unknown_repo_and_route_answer_404(server: EmulatorServer, gh: requests.Session) -> None:
    for path in ("/repos/acme/nope/issues", "/repos/acme/web/wikis", "/users/li-na"):
        response = gh.get(server.github_url + path)
        assert response.status_code == 404
        assert response.json()["message"] == "Not Found"
        assert response.headers["X-RateLimit-Remaining"]


def test_repository_names_are_case_insensitive(server: EmulatorServer, gh: requests.Session) -> None:
    assert gh.get(f"{server.github_url}/repos/ACME/Web").json()["full_name"] == "acme/web"


def test_etag_answers_304_without_spending_the_budget(server: EmulatorServer, gh: requests.Session) -> None:
    url = f"{server.github_url}/repos/acme/web/issues"
    first = gh.get(url, params={"state": "all"})
    etag = first.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{64}"', etag)
    remaining = int(first.headers["X-RateLimit-Remaining"])

    for sent in (etag, f"W/{etag}", f'"other", {etag}'):
        again = gh.get(url, params={"state": "all"}, headers={"If-None-Match": sent})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["ETag"] == etag
        assert int(again.headers["X-RateLimit-Remaining"]) == remaining

    stale = gh.get(url, params={"state": "all"}, headers={"If-None-Match": '"stale"'})
    assert stale.status_code == 200 and stale.headers["ETag"] == etag
    assert int(stale.headers["X-RateLimit-Remaining"]) == remaining - 1


def test_every_answer_has_rate_limit_and_github_headers(server: EmulatorServer, gh: requests.Session) -> None:
    response = gh.get(f"{server.github_url}/repos/acme/web/releases")
    headers = response.headers
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers["X-GitHub-Media-Type"] == "github.v3; format=json"
    assert headers["X-RateLimit-Limit"] == "5000" and headers["X-RateLimit-Resource"] == "core"
    assert int(headers["X-RateLimit-Used"]) + int(headers["X-RateLimit-Remaining"]) == 5000
    assert int(headers["X-RateLimit-Reset"]) > datetime.now().timestamp()
    assert headers["Date"].endswith("GMT")


def test_missing_or_malformed_token_answers_401(server: EmulatorServer) -> None:
    url = f"{server.github_url}/repos/acme/web/issues"
    missing = requests.get(url)
    assert missing.status_code == 401
    assert missing.json() == {
        "message": "Requires authentication",
        "documentation_url": "https://docs.github.com/rest",
        "status": "401",
    }
    assert missing.headers["X-RateLimit-Limit"] == "60"
    assert requests.get(url, headers={"Authorization": "Bearer "}).status_code == 401
    assert requests.get(url, headers={"Authorization": "Basic dTpw"}).json()["message"] == "Bad credentials"
    assert requests.get(url, headers={"Authorization": "token abc"}).status_code == 200


def test_rate_limit_endpoint_reports_the_budget_without_spending_it(
    server: EmulatorServer, gh: requests.Session
) -> None:
    gh.get(f"{server.github_url}/repos/acme/web/issues")
    core = gh.get(f"{server.github_url}/rate_limit").json()["resources"]["core"]
    again = gh.get(f"{server.github_url}/rate_limit").json()
    assert core["used"] == 1 and core["remaining"] == 4999
    assert again["resources"]["core"] == again["rate"] == core


def test_a_spent_budget_answers_403_until_the_window_resets(demo_org: Org) -> None:
    now = [1_800_000_000.0]
    api = GitHubApi(demo_org.github, rate_limit=3, limits=RateLimits(window_seconds=3600, now=lambda: now[0]))
    with EmulatorServer(demo_org, mounts={"/github": api}) as small:
        session = requests.Session()
        session.headers["Authorization"] = "Bearer budget"
        url = f"{small.github_url}/repos/acme/web/milestones"
        answers = [session.get(url) for _ in range(4)]
        assert [answer.status_code for answer in answers] == [200, 200, 200, 403]
        assert [answer.headers["X-RateLimit-Remaining"] for answer in answers] == ["2", "1", "0", "0"]
        refused = answers[-1]
        assert refused.json()["message"].startswith("API rate limit exceeded for user ID ")
        assert refused.headers["X-RateLimit-Reset"] == str(1_800_000_000 + 3600)
        # A conditional hit is still answered, for free; another token has its own budget.
        etag = answers[0].headers["ETag"]
        assert session.get(url, headers={"If-None-Match": etag}).status_code == 304
        assert requests.get(url, headers={"Authorization": "Bearer other"}).status_code == 200

        now[0] += 3600
        renewed = session.get(url)
        assert renewed.status_code == 200 and renewed.headers["X-RateLimit-Remaining"] == "2"


def test_concurrent_requests_are_all_answered_and_logged(
    server: EmulatorServer, gh: requests.Session
) -> None:
    token = gh.headers["Authorization"]
    urls = [
        f"{server.github_url}/repos/acme/{name}/issues?page={page}"
        for name in ("web", "api", "mobile")
        for page in (1, 2, 3, 4)
    ]

    def fetch(url: str) -> int:
        return requests.get(url, headers={"Authorization": token}).status_code

    server.reset_log()
    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(fetch, urls * 2))
    assert statuses == [200] * len(urls) * 2
    log = server.request_log
    assert len(log) == len(urls) * 2
    assert {entry["path"] for entry in log} == {
        f"/github/repos/acme/{name}/issues" for name in ("web", "api", "mobile")
    }
    assert {entry["query"]["page"] for entry in log} == {"1", "2", "3", "4"}
    assert gh.get(f"{server.github_url}/rate_limit").json()["resources"]["core"]["used"] == len(urls) * 2


def test_paths_outside_any_mount_answer_404(server: EmulatorServer) -> None:
    assert requests.get(f"{server.url}/no-such-tracker/projects").status_code == 404
