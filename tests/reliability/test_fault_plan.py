"""The fault spec, its determinism, and the faults that need a tracker's help: edits made while a
walk pages (GitHub and Jira) and a nextPageToken handed back again (Jira)."""

from __future__ import annotations

import pytest
import requests

from connectors import CONNECTORS
from emulators.faults import FaultPlan, Rule
from emulators.generator import generate_org
from emulators.org import Org
from emulators.server import EmulatorServer
from pipelines.cli import main
from tests.reliability.conftest import FIGURES


def test_spec_grammar() -> None:
    plan = FaultPlan.parse(
        "429:0.05, 500:1@/jira ,token_repeat:1,delete:2,transfer:1,seed=3,retry_after=0,slow_seconds=1.5"
    )
    assert plan.rules == (Rule("429", 0.05), Rule("500", 1.0, "/jira"), Rule("token_repeat", 1.0))
    assert plan.churn_counts == {"delete": 2, "transfer": 1}
    assert (plan.seed, plan.retry_after, plan.slow_seconds) == (3, 0, 1.5)
    assert FaultPlan.parse("").rules == ()


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("bogus:0.1", "not KIND:RATE"),
        ("500", "not KIND:RATE"),
        ("500:2", "between 0 and 1"),
        ("500:lots", "not a number"),
        ("delete:0.5", "whole count"),
        ("delete:1@/jira", "whole count"),
        ("colour=3", "unknown setting"),
        ("seed=x", "not a number"),
    ],
)
def test_bad_specs_say_what_is_wrong(spec: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        FaultPlan.parse(spec)


def draws(plan: FaultPlan, order: list[int]) -> dict[int, list[str | None]]:
    """What each of a few requests meets over three tries each, asked in `order`."""
    seen: dict[int, list[str | None]] = {}
    for page in order:
        fault = plan.draw("GET", "/github/repos/acme/web/issues", f"page={page}&per_page=20", b"")
        seen.setdefault(page, []).append(fault.kind if fault else None)
    return seen


def test_same_seed_same_faults_whatever_the_order_of_requests() -> None:
    spec = "429:0.2,500:0.2,reset:0.2,seed=9"
    forward = draws(FaultPlan.parse(spec), [1, 2, 3, 4, 5] * 3)
    shuffled = draws(FaultPlan.parse(spec), [5, 3, 1, 4, 2] * 3)
    assert forward == shuffled and any(kind for kinds in forward.values() for kind in kinds)
    assert draws(FaultPlan.parse(spec.replace("seed=9", "seed=10")), [1, 2, 3, 4, 5] * 3) != forward


def test_churn_is_the_same_for_the_same_seed() -> None:
    changed = []
    for _ in range(2):
        org = generate_org(seed=7, scale=0.2)
        plan = FaultPlan.parse("edit:6,delete:2,transfer:2,seed=4")
        assert plan.churn(org) == {"edit": 6, "delete": 2, "transfer": 2}
        changed.append(
            sorted(
                (r.full_name, n, i.title, i.state)
                for r in org.github.repos.values()
                for n, i in r.issues.items()
            )
        )
    assert changed[0] == changed[1]


def read_issues(
    kind: str, server: EmulatorServer, states: dict[str, dict] | None = None
) -> tuple[dict[str, dict], dict[str, dict]]:
    """Every issue a connector reads from every scope (the last copy of each, by id), and the
    state each scope's walk ended on."""
    settings = {
        "github": {"base_url": server.github_url, "repos": ["acme/web", "acme/api"], "per_page": 10},
        "jira": {"base_url": server.jira_url, "deployment": "cloud", "projects": ["PAY", "WEB"]},
    }[kind]
    cls = CONNECTORS[kind]
    secrets = {"token": "t"} | ({"email": "e@example.com"} if kind == "jira" else {})
    connector = cls(cls.client_for(settings, **secrets), settings)
    stream = next(s for s in connector.streams if s.name == "issues")
    read: dict[str, dict] = {}
    ended: dict[str, dict] = {}
    for scope in connector.scopes():
        for page in connector.read(scope, stream, (states or {}).get(scope)):
            read |= {str(record["id"]): record for record in page.records}
            ended[scope] = page.state or ended.get(scope, {})
    return read, ended


def titles(kind: str, org: Org) -> dict[str, str]:
    if kind == "github":
        repos = [org.github.repo("acme/web"), org.github.repo("acme/api")]
        return {str(i.id): i.title for repo in repos for i in repo.issues.values() if i.pull is None}
    return {str(i.id): i.summary for i in org.jira.issues.values()}


def test_github_issues_edited_while_paged_are_all_read() -> None:
    """A first read pages by number, which skips a row whenever an issue read already is edited
    (it moves to the end, the rest shift back); the edited issue comes back at the end, and the
    read goes on, newest first, down to its old time: no issue is skipped. Edits made during that
    last part are read by the next run."""
    org = generate_org(seed=7, scale=0.3)
    plan = FaultPlan.parse("move:0.5,seed=2")
    with EmulatorServer(org, faults=plan) as server:
        read, states = read_issues("github", server)
        server.faults = None
        again, _ = read_issues("github", server, states)
    FIGURES.faults.update(plan.injected)
    assert plan.injected["move"] >= 5
    assert set(read) == set(titles("github", org))
    assert {i: r["title"] for i, r in (read | again).items()} == titles("github", org)


@pytest.mark.parametrize("spec", ["move:1,seed=1", "token_repeat:1,seed=1"])
def test_jira_edits_while_paged_and_repeated_tokens_lose_nothing(spec: str) -> None:
    """Cloud pages a snapshot: an issue edited after it was served is read again next run; a token
    handed back again starts a new search from the cursor instead of looping (here: every time)."""
    org = generate_org(seed=7, scale=1.0)  # PAY and WEB span two and three pages of 100
    plan = FaultPlan.parse(spec)
    with EmulatorServer(org, faults=plan) as server:
        first, states = read_issues("jira", server)
        server.faults = None
        again, _ = read_issues("jira", server, states)
    FIGURES.faults.update(plan.injected)
    assert sum(plan.injected.values()) >= 3
    assert set(first) == set(titles("jira", org))
    latest = {i: r["fields"]["summary"] for i, r in (first | again).items()}
    assert latest == titles("jira", org)


@pytest.mark.parametrize("spec", ["", "move:0.3,seed=3"])
def test_a_wall_of_issues_updated_in_one_second_is_crossed(spec: str) -> None:
    """Over a page of issues share one updated_at second, which `since` alone could not page:
    numbered pages cross it, first read or later, with or without edits landing mid-walk."""
    org = generate_org(seed=7, scale=0.3)
    web = org.github.repo("acme/web")
    plan = FaultPlan.parse(spec)
    with EmulatorServer(org, faults=plan) as server:
        first, states = read_issues("github", server)
        org.advance(hours=1)
        numbers = [n for n, issue in sorted(web.issues.items()) if issue.pull is None]
        for number in numbers[:25]:
            web.update_issue(number, title=f"bulk edit {number}")  # all in the same second
        wall = org.clock.strftime("%Y-%m-%dT%H:%M:%SZ")
        org.advance(minutes=1)
        web.update_issue(numbers[-1], title="edited after the bulk edit")
        read, states = read_issues("github", server, states)
        server.faults = None
        again, _ = read_issues("github", server, states)
    assert len([r for r in read.values() if r["updated_at"] == wall]) == 25  # over two pages of 10
    latest = {i: r["title"] for i, r in (first | read | again).items()}
    assert latest == titles("github", org)
    assert states["acme/web"]["cursor"] > wall


def test_emulate_rejects_a_bad_spec_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["emulate", "--port", "0", "--faults", "500:2"]) == 2
    assert (
        capsys.readouterr().err == "trackerlake: --faults: fault spec: '500:2': a rate is between 0 and 1\n"
    )


def test_the_server_reports_faults_and_churns_on_request() -> None:
    org = generate_org(seed=7, scale=0.2)
    with EmulatorServer(org, faults=FaultPlan.parse("500:1@/github/rate_limit,edit:3,seed=1")) as server:
        assert requests.get(f"{server.github_url}/rate_limit", timeout=5).status_code == 500
        assert requests.post(f"{server.url}/_faults/churn", timeout=5).json() == {"changed": {"edit": 3}}
        report = requests.get(f"{server.url}/_faults", timeout=5).json()
    assert report == {"plan": "500:1@/github/rate_limit, edit:3 (seed 1)", "injected": {"500": 1, "edit": 3}}
