"""Invariants that hold for any history (hypothesis): random GitHub issues joining and leaving one
milestone, closing and reopening, built into the warehouse.

- 0 ≤ pct_complete ≤ 1 and scope = baseline + added − removed;
- the burn-up's last day equals project_completion's scope and done items;
- forecast p50 ≤ p85, and the same seed gives the same forecast;
- weekly completed items sum to the completed items.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import numpy as np
from github_builder import AS_OF, GitHubRecords, iso, params, run
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines import forecast, warehouse

REPO = "acme/prop"
START = datetime(2026, 1, 1, 9, tzinfo=UTC)  # every event falls before 2026-02-26, so before as_of
ACTIONS = ("milestone", "demilestone", "close", "reopen", "assign")

issue_plans = st.lists(
    st.fixed_dictionaries(
        {
            "created_day": st.integers(0, 30),
            "in_milestone_at_creation": st.booleans(),
            "reason": st.sampled_from(("completed", "not_planned", "duplicate")),
            "steps": st.lists(st.tuples(st.integers(0, 5), st.sampled_from(ACTIONS)), max_size=5),
        }
    ),
    min_size=1,
    max_size=8,
)


def add_issue(gh: GitHubRecords, milestone: dict[str, Any], plan: dict[str, Any]) -> None:
    """One issue whose events follow `plan`; its current state is where the events leave it."""
    at = START + timedelta(days=plan["created_day"])
    in_milestone, closed = plan["in_milestone_at_creation"], False
    issue = gh.issue(REPO, created=iso(at), milestone=milestone if in_milestone else None)
    for index, (days, action) in enumerate(plan["steps"]):
        at += timedelta(days=days, minutes=index + 1)
        if action == "milestone" and not in_milestone:
            gh.milestoned(REPO, issue, milestone, iso(at))
        elif action == "demilestone" and in_milestone:
            gh.milestoned(REPO, issue, milestone, iso(at), removed=True)
        elif action in ("close", "reopen") and closed == (action == "reopen"):
            gh.event(REPO, issue, "closed" if action == "close" else "reopened", iso(at))
        elif action == "assign":
            gh.event(REPO, issue, "assigned", iso(at))
        else:
            continue
        in_milestone = (in_milestone or action == "milestone") and action != "demilestone"
        closed = (closed or action == "close") and action != "reopen"
    issue.update(
        milestone=milestone if in_milestone else None,
        state="closed" if closed else "open",
        state_reason=plan["reason"] if closed else None,
        closed_at=issue["updated_at"] if closed else None,
    )


def build(plans: list[dict[str, Any]], milestone_closed: bool) -> duckdb.DuckDBPyConnection:
    gh = GitHubRecords()
    # A closed milestone closes after every event, so its burn-up ends where the current state is.
    closed = iso(AS_OF - timedelta(days=1)) if milestone_closed else None
    milestone = gh.milestone(REPO, "Prop", created="2026-01-05", due="2026-02-20", closed=closed)
    for plan in plans:
        add_issue(gh, milestone, plan)
    con = duckdb.connect()
    warehouse.ensure_ops(con)
    gh.land(con)
    run(con)
    return con


@settings(max_examples=25, deadline=None)
@given(issue_plans, st.booleans())
def test_completion_burnup_and_weekly_invariants(plans: list[dict[str, Any]], milestone_closed: bool) -> None:
    con = build(plans, milestone_closed)
    ((pct, scope, baseline, added, removed, done),) = con.execute(
        """
        SELECT pct_complete, scope_items, baseline_items, added_items, removed_items, done_items
        FROM marts.project_completion
        """
    ).fetchall()
    assert pct is None or 0 <= pct <= 1
    assert scope == baseline + added - removed
    last_day = con.execute(
        "SELECT scope_items, done_items FROM marts.milestone_burnup ORDER BY day DESC LIMIT 1"
    ).fetchone()
    assert last_day == (scope, done)
    (weekly, completed) = con.execute(
        """
        SELECT (SELECT coalesce(sum(completed_items), 0) FROM marts.delivery_weekly),
               (SELECT count(*) FROM marts.work_items WHERE resolution = 'completed')
        """
    ).fetchone()
    assert weekly == completed


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 6), min_size=1, max_size=8).filter(any),
    st.lists(st.integers(1, 80), min_size=1, max_size=5),
    st.integers(0, 2**32 - 1),
)
def test_forecast_p50_not_after_p85_and_seeded(counts: list[int], remaining: list[int], seed: int) -> None:
    def quantiles() -> np.ndarray:
        rng = np.random.default_rng(seed)
        weeks = forecast.finish_weeks(np.array(counts), np.array(remaining), 200, rng)
        return np.quantile(weeks, forecast.QUANTILES, axis=0, method="inverted_cdf")

    first = quantiles()
    assert (first[0] <= first[1]).all()
    assert (first == quantiles()).all()


@settings(max_examples=10, deadline=None)
@given(issue_plans, st.integers(0, 2**16))
def test_marts_forecast_is_ordered_and_repeatable(plans: list[dict[str, Any]], seed: int) -> None:
    con = build(plans, milestone_closed=False)
    seeded = dataclasses.replace(params(), forecast_seed=seed)
    found = []
    for _ in range(2):
        forecast.run(con, seeded)
        found.append(
            con.execute(
                "SELECT forecast_p50_date, forecast_p85_date FROM intermediate.milestone_forecast"
            ).fetchall()
        )
    assert found[0] == found[1]
    assert all(p50 <= p85 for p50, p85 in found[0] if p50 is not None and p85 is not None)
