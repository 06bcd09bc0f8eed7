"""The Monte Carlo forecast: deterministic for a seed, ordered quantiles, its edge cases."""

from __future__ import annotations

import dataclasses
import json
import pickle
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pytest
from github_builder import GitHubRecords, open_warehouse, params, run

from pipelines import forecast


def test_finish_weeks_with_constant_throughput_is_exact() -> None:
    weeks = forecast.finish_weeks(np.array([2]), np.array([1, 2, 3, 10]), 50, np.random.default_rng(1))
    assert weeks.shape == (50, 4)
    assert (weeks == np.array([1, 1, 2, 5])).all()


def test_finish_weeks_beyond_the_horizon_is_marked() -> None:
    weeks = forecast.finish_weeks(
        np.array([1]), np.array([forecast.HORIZON_WEEKS + 5]), 10, np.random.default_rng(1)
    )
    assert (weeks == forecast.HORIZON_WEEKS + 1).all()


def test_finish_weeks_matches_a_plain_simulation() -> None:
    """The vectorised search equals walking each trial's cumulative sum."""
    counts, remaining = np.array([0, 1, 3, 5]), np.array([4, 17, 60])
    weeks = forecast.finish_weeks(counts, remaining, 200, np.random.default_rng(7))
    paths = np.cumsum(np.random.default_rng(7).choice(counts, size=(200, forecast.CHUNK_WEEKS)), axis=1)
    for trial in range(200):
        expected = [int(np.argmax(paths[trial] >= r)) + 1 for r in remaining]
        assert list(weeks[trial]) == expected


def landed(path: Path) -> duckdb.DuckDBPyConnection:
    """A warehouse with a noisy project's open milestone and a project whose milestone is done."""
    gh = GitHubRecords()
    m = gh.milestone("acme/noisy", "Noisy", created="2026-01-01", due="2026-05-01")
    gh.completed_per_week("acme/noisy", [0, 5, 1, 2, 0, 7, 3, 1])
    for _ in range(25):
        gh.issue("acme/noisy", created="2026-01-02", milestone=m)
    done = gh.milestone("acme/done", "All done", created="2026-01-01", due="2026-05-01")
    gh.issue("acme/done", created="2026-01-02", closed="2026-02-01", milestone=done)
    con = open_warehouse(path)
    gh.land(con)
    return con


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    con = landed(tmp_path_factory.mktemp("forecast") / "work.duckdb")
    run(con)
    return con


def forecast_dates(con: duckdb.DuckDBPyConnection, seed: int) -> dict[str, tuple[date, date]]:
    forecast.run(con, dataclasses.replace(params(), forecast_seed=seed))
    found = con.execute(
        "SELECT milestone_id, forecast_p50_date, forecast_p85_date FROM intermediate.milestone_forecast"
    ).fetchall()
    return {milestone: (p50, p85) for milestone, p50, p85 in found}


def test_same_seed_same_dates(con: duckdb.DuckDBPyConnection) -> None:
    assert forecast_dates(con, 42) == forecast_dates(con, 42)


def test_p50_is_not_after_p85(con: duckdb.DuckDBPyConnection) -> None:
    for seed in (1, 2, 3):
        for p50, p85 in forecast_dates(con, seed).values():
            assert p50 <= p85


def test_noisy_throughput_gives_a_spread(con: duckdb.DuckDBPyConnection) -> None:
    (row,) = con.execute(
        "SELECT throughput_per_week, forecast_p50_date, forecast_p85_date FROM marts.project_completion "
        "WHERE project = 'acme/noisy'"
    ).fetchall()
    throughput, p50, p85 = row
    assert throughput == pytest.approx(19 / 8)
    # 25 items at ~2.4 a week: around 11 weeks out; p85 later than p50
    assert date(2026, 4, 27) <= p50 < p85 <= date(2026, 7, 27)


def test_nothing_remaining_finishes_on_as_of(con: duckdb.DuckDBPyConnection) -> None:
    (row,) = con.execute(
        "SELECT remaining_items, forecast_p50_date, forecast_p85_date, status, status_reason "
        "FROM marts.project_completion WHERE project = 'acme/done'"
    ).fetchall()
    assert row == (0, date(2026, 3, 2), date(2026, 3, 2), "on_track", "all items done, due 2026-05-01")


# The whole model build in a fresh interpreter: which of pandas and pyarrow are loaded before it (none,
# or the test would measure nothing) and after it, and the dates it wrote.
BUILD = """
import json, pickle, sys
import duckdb
from pipelines import models
heavy = ("pandas", "pyarrow")
before = [name for name in heavy if name in sys.modules]
con = duckdb.connect(sys.argv[1])
models.build_all(con, pickle.loads(bytes.fromhex(sys.argv[2])))
after = [name for name in heavy if name in sys.modules]
dates = con.execute("SELECT milestone_id, forecast_p50_date::VARCHAR, forecast_p85_date::VARCHAR "
                    "FROM intermediate.milestone_forecast ORDER BY milestone_id").fetchall()
print(json.dumps({"before": before, "after": after, "dates": dates}))
"""


def test_the_build_imports_neither_pandas_nor_pyarrow(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """Either would add ~50 MiB to the run's peak memory (issue 14) for a few thousand milestones."""
    landed(tmp_path / "work.duckdb").close()
    built = subprocess.run(
        [sys.executable, "-c", BUILD, str(tmp_path / "work.duckdb"), pickle.dumps(params()).hex()],
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(built.stdout)
    assert (found["before"], found["after"]) == ([], [])
    expected = forecast_dates(con, params().forecast_seed)
    assert {
        m: (date.fromisoformat(p50), date.fromisoformat(p85)) for m, p50, p85 in found["dates"]
    } == expected
