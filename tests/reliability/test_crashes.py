"""SIGKILL `trackerlake run` at points of ingest, modelling and publishing, then run again.

After each kill: the working database opens, holds no duplicate, and no cursor is past data that
was not committed; the published file is yesterday's or today's, whole. After the last, a run that
is left alone converges to the trackers' truth. The trackers change before every run, and the
requests meet a light fault mix, so each run has real work to be killed in.
"""

from __future__ import annotations

import random
from pathlib import Path

import duckdb
import pytest

from pipelines.landing import landed
from tests.reliability import truth
from tests.reliability.conftest import FIGURES, LONG
from tests.reliability.crashes import KillPoint, run_subprocess
from tests.reliability.lab import Lab

SPEC = "429:0.01,500:0.02,reset:0.02,truncate:0.01,move:0.05,edit:8,delete:1,transfer:1,seed=11,retry_after=0"

# The first kill lands in the very first sync, which the next run resumes.
SHORT_POINTS = [
    KillPoint("commit", 2, "during", 0.002),
    KillPoint("model", 12, "before"),
    KillPoint("swap", 1, "after"),
]


def long_points(seed: int = 5) -> list[KillPoint]:
    """24 points across a run: batches of pages committed by ingest (a run commits 3 to 5 here, the
    writer gathering what is queued), the census, model builds (41), the copy for publishing and
    its rename."""
    rng = random.Random(seed)
    points = [
        KillPoint("commit", n, rng.choice(("before", "after", "during")), rng.uniform(0, 0.01))
        for n in (1, 1, 2, 2, 3, 3, 1, 2)
    ]
    points += [KillPoint("census", n, "after") for n in (1, 4)]
    points += [
        KillPoint("model", n, rng.choice(("before", "during")), rng.uniform(0, 0.05))
        for n in (1, 6, 12, 18, 25, 33, 40)
    ]
    points += [KillPoint("copy", 1, "during", delay) for delay in (0.0, 0.05, 0.1, 0.2)]
    points += [KillPoint("swap", 1, when) for when in ("before", "after", "before")]
    rng.shuffle(points)
    # The first run is the first sync, which takes no census (its full read is one): start on a page.
    first = next(i for i, point in enumerate(points) if point.target == "commit")
    points[0], points[first] = points[first], points[0]
    return [KillPoint(p.target, p.nth, p.when, p.delay if p.when == "during" else 0.0) for p in points]


@pytest.mark.parametrize(
    "points",
    [
        pytest.param(SHORT_POINTS, id="short"),
        pytest.param(long_points(), id="long", marks=[LONG, pytest.mark.timeout(1800)]),
    ],
)
def test_killed_runs_converge(points: list[KillPoint], tmp_path: Path, secrets_env: None) -> None:
    with Lab(tmp_path, SPEC, scale=0.3) as lab:
        try:
            killed_one_by_one(lab, points)
            with lab.calm():
                final = lab.run()
        finally:
            FIGURES.runs += lab.runs
            FIGURES.faults.update(lab.plan.injected)
        assert final.success and final.published, final.failures
        comparison = truth.compare(lab.warehouse, lab.org)
        FIGURES.rows_lost += comparison.rows_lost
        FIGURES.ghosts += len(comparison.ghosts)
        FIGURES.duplicates += comparison.duplicates
        assert comparison.converged, comparison
        with landed(lab.config) as con:
            statuses = {row[0] for row in con.execute("SELECT status FROM ops.sync_runs").fetchall()}
        assert "running" not in statuses  # each killed run was marked when the next one started


def killed_one_by_one(lab: Lab, points: list[KillPoint]) -> None:
    """For each point: the trackers change (after the first sync), a run starts and is killed there."""
    for index, point in enumerate(points):
        if index:
            lab.churn()
        ended = run_subprocess(lab, point)
        assert ended.killed, (
            f"{point} was not reached: the run ended with {ended.returncode}\n{ended.stderr[-2000:]}"
        )
        FIGURES.kill_points += 1
        after_a_kill(lab, str(point))


def after_a_kill(lab: Lab, point: str) -> None:
    """What must hold the moment a run is killed, wherever that was."""
    with landed(lab.config) as con:
        duplicates = truth.count_duplicates(con, ("raw", "ops"))
    if lab.work_database.exists():  # built by the first run's models
        with duckdb.connect(str(lab.work_database), read_only=True) as con:
            duplicates += truth.count_duplicates(con, ("marts",))
    violations = truth.cursor_violations(lab.config, lab.org)
    FIGURES.duplicates += duplicates
    FIGURES.cursor_violations += len(violations)
    assert duplicates == 0, f"after a kill at {point}"
    assert violations == [], f"after a kill at {point}: {violations[:5]}"
    if not lab.warehouse.exists():
        return  # killed before the first publish
    with duckdb.connect(str(lab.warehouse), read_only=True) as con:
        published = (
            truth.count_duplicates(con),
            con.execute("SELECT count(*) FROM marts.work_items").fetchone()[0],
        )
    assert published[0] == 0 and published[1] > 0, f"the published file after a kill at {point}"
