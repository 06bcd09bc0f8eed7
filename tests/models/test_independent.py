"""Figures on a data set the models were not written against, recomputed here in plain Python
straight from the raw JSON the connectors landed, following metrics.md, and compared with the marts.

The organisation is generated (seed 11, scale 0.3), served by the emulators and synced by the real
connectors. The recomputation reads only raw.* records: GitHub issues, milestones and issue events;
Jira issues and versions. It covers completion (completed_at, on_time, scope and done items) and
outcomes (defect attribution, escaped defects, customer defects, reopened work, outcome_status).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pytest

from connectors.base import parse_time
from emulators.generator import DEMO_AS_OF, generate_org
from emulators.server import EmulatorServer
from pipelines import ingest, models
from pipelines.config import Config, parse

AS_OF = DEMO_AS_OF
WINDOW = timedelta(days=30)
BUG_LABELS = {"bug", "defect", "regression"}
CUSTOMER_LABELS = {"customer", "customer-reported", "support"}
DROPPED = {"not_planned", "duplicate"}


@pytest.fixture(scope="module")
def con(monkeypatch_module: pytest.MonkeyPatch) -> Iterator[duckdb.DuckDBPyConnection]:
    monkeypatch_module.setenv("TL_TOKEN", "token")
    monkeypatch_module.setenv("TL_EMAIL", "me@example.com")
    org = generate_org(seed=11, scale=0.3)
    with EmulatorServer(org) as server:
        config = sources(
            server, [repo.full_name for repo in org.github.repos.values()], sorted(org.jira.projects)
        )
        db = duckdb.connect()
        for source in config.sources:
            assert ingest.sync_source(db, source, "run-1").error is None
    models.build_all(db, models.ModelParams.from_config(config, AS_OF))
    yield db


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def sources(server: EmulatorServer, repos: list[str], projects: list[str]) -> Config:
    return parse(
        {
            "sources": [
                {"name": "gh", "type": "github", "base_url": f"{server.url}/github", "token_env": "TL_TOKEN", "repos": repos},
                {"name": "jira", "type": "jira", "base_url": server.jira_url, "token_env": "TL_TOKEN",
                 "email_env": "TL_EMAIL", "projects": projects},
            ]
        }
    )  # fmt: skip


def raw(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, dict[str, Any]]]:
    """(scope, record) of every live record of a raw table."""
    found = con.execute(
        f"SELECT scope, data FROM raw.{table} WHERE deleted_at IS NULL ORDER BY id"
    ).fetchall()
    return [(scope, json.loads(data)) for scope, data in found]


def when(text: str | None) -> datetime | None:
    return parse_time(text) if text else None


def end_of_day(moment: datetime) -> datetime:
    """Midnight UTC after the day of `moment`: the instant a milestone is measured at."""
    return datetime.combine(moment.date() + timedelta(days=1), datetime.min.time(), moment.tzinfo)


class GitHubIssue:
    """One issue, replayed from its events: its status and milestone membership at any instant."""

    def __init__(self, record: dict[str, Any], events: list[dict[str, Any]]) -> None:
        self.record = record
        self.created = when(record["created_at"])
        self.labels = {label["name"].lower() for label in record["labels"]}
        self.events = sorted(events, key=lambda e: (e["created_at"], e["id"]))
        self.reason = record["state_reason"] or "completed" if record["state"] == "closed" else None

    def done_at(self, moment: datetime) -> bool:
        """Closed just before `moment` and, if that close is the current one, closed as completed."""
        moves = [
            e for e in self.events if e["event"] in ("closed", "reopened") and when(e["created_at"]) < moment
        ]
        if moves:
            closed = moves[-1]["event"] == "closed"
        else:
            closed = self.record["state"] == "closed" and when(self.record["closed_at"]) < moment
        current = len(moves) == len([e for e in self.events if e["event"] in ("closed", "reopened")])
        return closed and (not current or self.reason == "completed")

    def dropped_at(self, moment: datetime) -> bool:
        """Closed as not_planned or duplicate (the current close) before `moment`."""
        return self.reason in DROPPED and when(self.record["closed_at"]) < moment

    def in_milestone_at(self, title: str, milestone_id: int, moment: datetime) -> bool:
        moves = [
            e for e in self.events
            if e["event"] in ("milestoned", "demilestoned") and e["milestone"]["title"] == title
            and when(e["created_at"]) < moment
        ]  # fmt: skip
        if moves:
            return moves[-1]["event"] == "milestoned"
        return (self.record.get("milestone") or {}).get("id") == milestone_id and self.created < moment

    def reopened_after(self, moment: datetime) -> bool:
        return any(e["event"] == "reopened" and when(e["created_at"]) > moment for e in self.events)


def github_issues(con: duckdb.DuckDBPyConnection) -> dict[str, list[GitHubIssue]]:
    events: dict[int, list[dict[str, Any]]] = {}
    for _, event in raw(con, "github_issue_events"):
        events.setdefault(event["issue"]["id"], []).append(event)
    issues: dict[str, list[GitHubIssue]] = {}
    for repo, record in raw(con, "github_issues"):
        if "pull_request" not in record:
            issues.setdefault(repo, []).append(GitHubIssue(record, events.get(record["id"], [])))
    return issues


def github_expected(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """metrics.md for every GitHub milestone, from raw records: completion, and outcome once closed."""
    issues = github_issues(con)
    milestones = raw(con, "github_milestones")
    done: dict[int, list[GitHubIssue]] = {}
    expected = {}
    for repo, m in milestones:
        completed = when(m["closed_at"])
        moment = end_of_day(completed) if completed else end_of_day(AS_OF)
        members = [i for i in issues.get(repo, []) if i.in_milestone_at(m["title"], m["id"], moment)]
        scoped = [i for i in members if not i.dropped_at(moment)]
        done[m["id"]] = [i for i in scoped if i.done_at(moment)]
        expected[m["id"]] = {
            "scope_items": len(scoped),
            "done_items": len(done[m["id"]]),
            "completed_at": completed,
        }
    for repo, m in milestones:
        # Candidates of the release window: closed milestones of the repo that delivered something.
        releases = [
            (when(r["closed_at"]), r["id"])
            for p, r in milestones
            if p == repo and r["closed_at"] and done[r["id"]]
        ]
        if m["closed_at"]:
            due = when(m["due_on"]).date() if m["due_on"] else None
            expected[m["id"]]["on_time"] = when(m["closed_at"]).date() <= due if due else None
            defects = attributed(issues.get(repo, []), releases, m["id"])
            expected[m["id"]] |= github_outcome(when(m["closed_at"]), done[m["id"]], defects)
    return {f"{repo} {m['title']}": expected[m["id"]] for repo, m in milestones}


def attributed(
    issues: list[GitHubIssue], releases: list[tuple[datetime, int]], milestone_id: int
) -> list[GitHubIssue]:
    """Bugs whose most recent release before their creation, within the window, is this milestone."""
    found = []
    for issue in issues:
        if not issue.labels & BUG_LABELS or issue.reason in DROPPED:
            continue
        before = [(at, mid) for at, mid in releases if at < issue.created <= at + WINDOW]
        if before and max(before)[1] == milestone_id:
            found.append(issue)
    return found


def github_outcome(
    released: datetime, delivered: list[GitHubIssue], defects: list[GitHubIssue]
) -> dict[str, Any]:
    customer = [d for d in defects if d.labels & CUSTOMER_LABELS]
    overdue = [d for d in customer if d.record["state"] == "open" and AS_OF - d.created > timedelta(days=14)]
    rate = len(defects) / max(len(delivered), 1)
    reopened = [i for i in delivered if i.reopened_after(released)]
    if rate > 0.25 or overdue:
        status = "failing"
    elif rate > 0.10 or reopened:
        status = "watch"
    else:
        status = "healthy"
    return {
        "post_release_defects": len(defects),
        "customer_reported_defects": len(customer),
        "escaped_defect_rate": rate,
        "reopened_after_release": len(reopened),
        "outcome_status": status,
    }


def marts_figures(
    con: duckdb.DuckDBPyConnection, source_type: str, columns: list[str]
) -> dict[str, dict[str, Any]]:
    cursor = con.execute(
        f"""
        SELECT c.project || ' ' || c.name, {", ".join(columns)}
        FROM marts.project_completion c LEFT JOIN marts.product_outcomes o USING (milestone_id)
        JOIN marts.milestones m USING (milestone_id)
        WHERE m.source_type = ?
        """,
        [source_type],
    )
    names = [d[0].split(".")[-1] for d in cursor.description[1:]]
    return {key: dict(zip(names, values, strict=True)) for key, *values in cursor.fetchall()}


def test_github_completion_and_outcomes_match_an_independent_count(con: duckdb.DuckDBPyConnection) -> None:
    expected = github_expected(con)
    columns = ["c.scope_items", "c.done_items", "c.completed_at", "c.on_time", "o.post_release_defects",
               "o.customer_reported_defects", "o.escaped_defect_rate", "o.reopened_after_release", "o.outcome_status"]  # fmt: skip
    actual = marts_figures(con, "github", columns)
    assert len(expected) > 10
    for name, figures in expected.items():
        assert {k: actual[name][k] for k in figures} == figures, name
    statuses = {figures.get("outcome_status") for figures in expected.values()}
    assert {"failing", "watch", "healthy"} <= statuses  # the data set exercises every outcome


def jira_expected(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """For every released Jira version: when it was released (its scoped items' last resolution)
    and the bugs that name it in their affects versions, created within the window after it."""
    issues = [record for _, record in raw(con, "jira_issues")]
    expected = {}
    for project, version in raw(con, "jira_versions"):
        if not version.get("released"):
            continue
        fixed = [
            i["fields"] for i in issues if version["id"] in {v["id"] for v in i["fields"]["fixVersions"]}
        ]
        resolved = [when(f["resolutiondate"]) for f in fixed if f["status"]["statusCategory"]["key"] == "done"
                    and f["resolution"] and f["resolution"]["name"] not in ("Won't Do", "Won't Fix", "Duplicate")]  # fmt: skip
        released = max(resolved)
        bugs = [
            i["fields"] for i in issues
            if i["fields"]["issuetype"]["name"] in ("Bug", "Defect")
            and version["id"] in {v["id"] for v in i["fields"]["versions"]}
            and released < when(i["fields"]["created"]) <= released + WINDOW
        ]  # fmt: skip
        expected[f"{project} {version['name']}"] = {
            "released_at": released,
            "post_release_defects": len(bugs),
        }
    return expected


def test_jira_releases_and_affects_version_defects_match_an_independent_count(
    con: duckdb.DuckDBPyConnection,
) -> None:
    expected = jira_expected(con)
    actual = marts_figures(con, "jira", ["o.released_at", "o.post_release_defects"])
    assert len(expected) >= 4 and sum(f["post_release_defects"] for f in expected.values()) > 0
    for name, figures in expected.items():
        assert actual[name] == figures, name
