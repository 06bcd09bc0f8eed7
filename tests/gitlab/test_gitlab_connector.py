"""The GitLab connector over real HTTP against the GitLab emulator on loopback.

Request counts are worked out from the served instance: a keyset walk of n issues at `per_page`
p is ceil(n / p) pages (the last page has no next link); a child list is one request per parent
whose list fits a page; an unchanged one-page milestone list costs one 304.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from gitlab_emulator_support import generate

from connectors.base import Page, State
from connectors.gitlab import GitLabConnector, GitLabSource
from emulators.gitlab.api import GitLabApi
from emulators.gitlab.model import GitLabModel, Project
from emulators.org import Org
from emulators.server import EmulatorServer
from tests.reliability.hostile import Answer, Hostile, quick_client

GATEWAY, BILLING, SDK = "acme-cloud/api-gateway", "acme-cloud/billing", "acme-oss/sdk-python"
ENCODED = {path: path.replace("/", "%2F") for path in (GATEWAY, BILLING, SDK)}


@contextmanager
def served(scale: float = 0.2) -> Iterator[tuple[GitLabModel, Org, EmulatorServer]]:
    model, org = generate(scale=scale)
    with EmulatorServer(org, mounts={"/gitlab": GitLabApi(model)}) as server:
        yield model, org, server


def connector(server: EmulatorServer, *projects: str, per_page: int = 100) -> GitLabConnector:
    source = GitLabSource.model_validate(
        {
            "name": "gl",
            "type": "gitlab",
            "token_env": "GL_TOKEN",
            "base_url": f"{server.url}/gitlab",
            "projects": list(projects),
            "per_page": per_page,
        }
    )
    settings = source.model_dump(mode="json")
    return GitLabConnector(GitLabConnector.client_for(settings, "glpat-test"), settings)


def read(conn: GitLabConnector, scope: str, name: str, state: State | None = None) -> list[Page]:
    return list(conn.read(scope, conn.stream(name), state))


def records(pages: list[Page]) -> list[dict[str, Any]]:
    return [record for page in pages for record in page.records]


def final_state(pages: list[Page]) -> State | None:
    return next((page.state for page in reversed(pages) if page.state is not None), None)


def log(server: EmulatorServer, suffix: str = "") -> list[dict[str, Any]]:
    return [entry for entry in server.request_log if entry["path"].endswith(suffix)]


def project(model: GitLabModel, path: str) -> Project:
    found = model.project(path)
    assert found is not None
    return found


def test_first_issue_read_walks_keyset_pages_oldest_first() -> None:
    with served() as (model, _, server):
        issues = project(model, GATEWAY).issues.values()
        conn = connector(server, GATEWAY, per_page=10)
        pages = read(conn, GATEWAY, "issues")
        walk = log(server, f"/projects/{ENCODED[GATEWAY]}/issues")
    landed = records(pages)
    assert sorted(r["id"] for r in landed) == sorted(i.id for i in issues)
    assert [r["updated_at"] for r in landed] == sorted(r["updated_at"] for r in landed)
    assert len(walk) == math.ceil(len(issues) / 10) > 1
    assert walk[0]["query"] == {
        "scope": "all",
        "state": "all",
        "order_by": "updated_at",
        "sort": "asc",
        "pagination": "keyset",
        "per_page": "10",
    }
    assert all("cursor" in entry["query"] and "page" not in entry["query"] for entry in walk[1:])
    # Oldest first, each page commits the newest time read so far; the last one when it was read.
    newest = [max(r["updated_at"] for r in p.records) for p in pages]
    assert [p.state["cursor"][:19] for p in pages] == [stamp[:19] for stamp in newest]
    assert [set(p.state) for p in pages] == [{"cursor"}] * (len(pages) - 1) + [{"cursor", "read_at"}]


def test_each_issue_s_events_are_read_once_and_carry_their_parent() -> None:
    with served() as (model, _, server):
        issues = list(project(model, GATEWAY).issues.values())
        conn = connector(server, GATEWAY)
        landed = records(read(conn, GATEWAY, "resource_state_events"))
        per_issue = log(server, "/resource_state_events")
    assert len(per_issue) == len(issues)  # every list fits one page of 100
    assert sorted(r["id"] for r in landed) == sorted(e.id for i in issues for e in i.state_events)
    by_issue = {i.id: i.iid for i in issues}
    assert all(by_issue[r["_parent"]["id"]] == r["_parent"]["iid"] for r in landed)


def test_a_second_read_costs_one_request_per_list_and_one_per_event_stream_for_an_edit() -> None:
    with served() as (model, org, server):
        gateway = project(model, GATEWAY)
        conn = connector(server, GATEWAY)
        states = {s.name: final_state(read(conn, GATEWAY, s.name)) for s in conn.streams}
        org.advance(minutes=30)
        edited = next(iter(gateway.issues.values()))
        gateway.update_issue(edited.iid, title="Renamed while nobody synced")
        server.reset_log()
        again = connector(server, GATEWAY)
        second = {s.name: records(read(again, GATEWAY, s.name, states[s.name])) for s in again.streams}
        served_log = server.request_log
    assert [r["id"] for r in second["issues"]] == [edited.id]
    for kind in ("state", "milestone", "label", "iteration"):
        events = getattr(edited, f"{kind}_events")
        assert sorted(r["id"] for r in second[f"resource_{kind}_events"]) == sorted(e.id for e in events)
    assert second["milestones"] == second["iterations"] == second["merge_requests"] == []
    # issues 1, whose walk lists the edited issue for all four event streams: its list in each;
    # milestones and iterations one 304 each; merge requests 1, whose empty walk closes_issues shares.
    assert again.client.requests == len(served_log) == 1 + 4 + 1 + 1 + 1
    assert [e["path"].rsplit("/", 1)[-1] for e in served_log].count("issues") == 1
    assert [e["status"] for e in served_log if e["path"].endswith(("/milestones", "/iterations"))] == [
        304,
        304,
    ]


def test_a_free_tier_project_asks_iteration_events_once_and_a_quiet_night_lists_each_list_once() -> None:
    with served() as (model, org, server):
        sdk = project(model, SDK)
        conn = connector(server, SDK)
        states = {s.name: final_state(read(conn, SDK, s.name)) for s in conn.streams}
        first = Counter((e["path"].rsplit("/", 1)[-1], e["status"]) for e in server.request_log)
        org.advance(minutes=30)
        server.reset_log()
        again = connector(server, SDK)
        for stream in again.streams:
            read(again, SDK, stream.name, states[stream.name])
        quiet = Counter((e["path"].rsplit("/", 1)[-1], e["status"]) for e in server.request_log)
    issues, merges = len(sdk.issues), len(sdk.merge_requests)
    assert 1 < issues <= 100 and 0 < merges <= 100  # every list fits one page
    # The first sync: one walk of the issues for all four event streams, three event lists per
    # issue and one refused iteration list for the project; the group's iterations refused too.
    assert first == {
        ("issues", 200): 1,
        ("resource_state_events", 200): issues,
        ("resource_milestone_events", 200): issues,
        ("resource_label_events", 200): issues,
        ("resource_iteration_events", 403): 1,
        ("milestones", 200): 1,
        ("iterations", 403): 1,
        ("merge_requests", 200): 1,
        ("closes_issues", 200): merges,
    }
    # A quiet night: each list once, its children asking nothing.
    assert quiet == {
        ("issues", 200): 1,
        ("milestones", 304): 1,
        ("iterations", 403): 1,
        ("merge_requests", 200): 1,
    }


def test_a_child_stream_killed_mid_issues_resumes_without_rereading_or_skipping() -> None:
    with served() as (model, _, server):
        issues = list(project(model, GATEWAY).issues.values())
        committed: State | None = None
        landed: list[dict[str, Any]] = []
        done = 0
        first = connector(server, GATEWAY)
        for page in first.read(GATEWAY, first.stream("resource_label_events"), None):
            landed += page.records
            if page.state is not None:
                committed, done = page.state, done + 1
            if done == 3:
                break  # killed: three issues' lists committed, the rest never read
        server.reset_log()
        rest = read(connector(server, GATEWAY), GATEWAY, "resource_label_events", committed)
        resumed_lists = log(server, "/resource_label_events")
    landed += records(rest)
    assert sorted(r["id"] for r in landed) == sorted(e.id for i in issues for e in i.label_events)
    assert len(resumed_lists) == len(issues) - 3  # the three finished issues are not asked again
    assert final_state(rest) is not None and "window" not in final_state(rest)


def test_iterations_of_a_free_group_are_skipped_and_a_group_is_read_once() -> None:
    with served() as (model, _, server):
        conn = connector(server, GATEWAY, BILLING, SDK)
        cloud = read(conn, GATEWAY, "iterations")
        again = read(conn, BILLING, "iterations")  # same group: not read again
        free = read(conn, SDK, "iterations")
        iterations = log(server, "/iterations")
        group = project(model, GATEWAY).group
        server.reset_log()
        free_events = read(conn, SDK, "resource_iteration_events")
        refused = [e["status"] for e in log(server, "/resource_iteration_events")]
        sdk_issues = len(project(model, SDK).issues)
    assert len(records(cloud)) == len(group.iterations) > 0
    assert again == []
    assert [(p.records, p.state) for p in free] == [([], {})]  # landed as an empty, finished list
    assert [(e["path"], e["status"]) for e in iterations] == [
        ("/gitlab/groups/acme-cloud/iterations", 200),
        ("/gitlab/groups/acme-oss/iterations", 403),
    ]
    # The first issue's iteration events are refused, so would the others' be: they are not asked.
    # Nothing lands; the walk still commits its end.
    assert records(free_events) == [] and refused == [403] and sdk_issues > 1
    assert final_state(free_events) is not None and "window" not in final_state(free_events)


def test_group_milestones_are_listed_under_each_of_the_group_s_projects() -> None:
    with served() as (model, _, server):
        conn = connector(server, GATEWAY, BILLING)
        listed = {
            scope: {r["id"] for r in records(read(conn, scope, "milestones"))} for scope in (GATEWAY, BILLING)
        }
        group = {m.id for m in project(model, GATEWAY).group.milestones}
    assert group and group <= listed[GATEWAY] and group <= listed[BILLING]
    assert listed[GATEWAY] & listed[BILLING] == group  # project milestones stay their project's


def test_census_misses_a_deleted_issue() -> None:
    with served() as (model, _, server):
        billing = project(model, BILLING)
        gone = next(iter(billing.issues.values()))
        billing.delete_issue(gone.iid)
        present = connector(server, BILLING, per_page=10).census(BILLING)
        ids = {str(i.id) for i in billing.issues.values()}
    assert present == ids and str(gone.id) not in present


def test_a_429_with_ratelimit_remaining_zero_waits_for_ratelimit_reset() -> None:
    """GitLab's headers have no X- prefix; without Retry-After the client waits for the reset."""
    asked: list[float] = []

    def answer(path: str, query: str) -> Answer:
        asked.append(time.monotonic())
        if len(asked) == 1:
            reset = str(int(time.time()) + 1)
            return Answer(b"Retry later\n", 429, {"RateLimit-Remaining": "0", "RateLimit-Reset": reset})
        return Answer(b"[]")

    with Hostile({"/api/v4/projects": answer}) as home:
        client = quick_client(f"{home.url}/api/v4", max_wait_seconds=10)
        response, body = client.get_json("/projects")
    # A bare 429 backs off at most 0.05 s here; the reset is a second or two away, plus one.
    assert body == [] and len(asked) == 2 and asked[1] - asked[0] >= 1.0


@pytest.mark.parametrize(
    ("projects", "error"),
    [
        (["gitlab-org/gitlab", "group/sub/project.name"], None),
        (["gitlab"], "is not a project path"),
        (["group/../admin"], "is not a project path"),
        (["group/project.git"], "is not a project path"),
        (["a/b", "a/b"], "listed twice"),
    ],
)
def test_project_paths_are_checked(projects: list[str], error: str | None) -> None:
    entry = {"name": "gl", "type": "gitlab", "token_env": "GL_TOKEN", "projects": projects}
    if error is None:
        assert GitLabSource.model_validate(entry).base_url == "https://gitlab.com/api/v4"
        assert GitLabSource.model_validate(
            {**entry, "base_url": "https://git.acme.example/api/v4/"}
        ).base_url == ("https://git.acme.example/api/v4")
    else:
        with pytest.raises(ValueError, match=error):
            GitLabSource.model_validate(entry)
