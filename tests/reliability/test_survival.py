"""Nightly runs under a mix of every request fault, with edits, deletions and transfers between
them: each run succeeds and no cursor passes uncommitted data; once calm, the warehouse equals the
trackers. A fault that persists fails its source alone, with one line in the run's failures and
in ops.sync_runs, while the other source completes and the warehouse is still published."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from pipelines.landing import landed
from tests.reliability import tally, truth
from tests.reliability.conftest import FIGURES, LONG
from tests.reliability.lab import Lab

MIX = (
    "429:0.02,429_bare:0.01,secondary:0.01,500:0.03,502:0.01,503:0.01,reset:0.03,cut:0.02,slow:0.01,"
    "truncate:0.03,token_repeat:0.5,move:0.08,edit:15,delete:2,transfer:2,retry_after=1,slow_seconds=1.5"
)


@dataclass(frozen=True)
class Nights:
    runs: int
    scale: float
    seed: int
    full_refresh_every: int = 0  # a full refresh re-reads everything: more pages to meet faults on


@pytest.mark.parametrize(
    "nights",
    [
        pytest.param(Nights(runs=2, scale=0.3, seed=3), id="short"),
        pytest.param(
            Nights(runs=10, scale=0.5, seed=8, full_refresh_every=3),
            id="long",
            marks=[LONG, pytest.mark.timeout(1800)],
        ),
    ],
)
def test_runs_under_faults_converge(nights: Nights, tmp_path: Path, secrets_env: None) -> None:
    with Lab(tmp_path, f"{MIX},seed={nights.seed}", scale=nights.scale) as lab:
        try:
            for night in range(nights.runs):
                if night:
                    lab.churn()
                refresh = (
                    bool(nights.full_refresh_every)
                    and night % nights.full_refresh_every == nights.full_refresh_every - 1
                )
                outcome = lab.run(full_refresh=refresh)
                assert outcome.success and outcome.published, outcome.failures
                violations = truth.cursor_violations(lab.config, lab.org)
                FIGURES.cursor_violations += len(violations)
                assert violations == [], f"night {night}: {violations[:5]}"
            with lab.calm():
                assert lab.run().success
        finally:
            FIGURES.runs += lab.runs
            FIGURES.faults.update(lab.plan.injected)
        assert_converged(lab)


def assert_converged(lab: Lab) -> None:
    comparison = truth.compare(lab.warehouse, lab.org)
    FIGURES.rows_lost += comparison.rows_lost
    FIGURES.ghosts += len(comparison.ghosts)
    FIGURES.duplicates += comparison.duplicates
    assert comparison.converged, comparison


@pytest.mark.parametrize(
    ("spec", "failing", "completing", "per_page"),
    [
        pytest.param("500:1@/jira", "demo-jira", "demo-github", 20, id="tracker-down"),
        pytest.param(
            # Every page after the first of a Link walk: the new events span pages of five.
            "503:1@/github/repositories/",
            "demo-github",
            "demo-jira",
            5,
            id="mid-walk",
            marks=LONG,
        ),
    ],
)
def test_a_persisting_fault_fails_its_source_alone(
    spec: str, failing: str, completing: str, per_page: int, tmp_path: Path, secrets_env: None
) -> None:
    spec = f"{spec},edit:15,delete:2,transfer:2,seed=5"
    with Lab(tmp_path, spec, scale=0.3, per_page=per_page, max_retries=1) as lab:
        try:
            with lab.calm():
                assert lab.run().success  # yesterday
            lab.churn()
            outcome = lab.run()
            with landed(lab.config) as con:
                runs = dict(
                    con.execute(
                        "SELECT source, status || coalesce(': ' || error, '') FROM ops.sync_runs WHERE run_id = ?",
                        [outcome.run_id],
                    ).fetchall()
                )
            violations = truth.cursor_violations(lab.config, lab.org)
            FIGURES.cursor_violations += len(violations)
            with lab.calm():
                healed = lab.run()
        finally:
            FIGURES.runs += lab.runs
            FIGURES.faults.update(lab.plan.injected)
    alone = runs[completing] == "success" and runs[failing].startswith("failed") and outcome.published
    tally.add(sources_failed=1, sources_failed_alone=int(alone))
    # The failed source is named in one line, with the request that kept failing and why.
    assert not outcome.success and len(outcome.failures) == 1
    [failure] = outcome.failures
    assert failure.startswith(f"source {failing}: GET http") and "\n" not in failure
    assert "answered 50" in failure and "its data stays as of its last committed page" in failure
    assert runs[completing] == "success" and runs[failing].startswith("failed: GET http")
    # The other source's news was published; the failed one's cursor is still honest.
    assert outcome.published and violations == []
    assert healed.success
    assert_converged(lab)
