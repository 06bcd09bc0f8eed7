"""Monte Carlo forecast of when each open milestone's remaining items will be done.

For every project, `trials` futures are simulated: each future week completes as many items as a
week drawn at random (with replacement) from the project's trailing throughput window
(intermediate.project_weekly_throughput, weeks without completions included). A milestone
finishes in the first simulated week in which the cumulative count reaches its remaining items;
p50 and p85 of those finish weeks give the forecast dates. The generator is seeded from the
configured seed and the project, so the same data, as_of and seed give the same dates, whatever
other projects there are.
"""

from __future__ import annotations

import zlib
from datetime import UTC, date, timedelta
from typing import TYPE_CHECKING

import duckdb
import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from pipelines.models import ModelParams

NAME = "intermediate.milestone_forecast"
DEPS = frozenset({"intermediate.milestone_progress", "intermediate.project_weekly_throughput"})
DESCRIPTION = (
    "Monte Carlo forecast of the finish date of each open milestone's remaining items, from its "
    "project's trailing weekly throughput; one row per milestone."
)
COLUMNS = {
    "milestone_id": "The milestone.",
    "throughput_per_week": "The project's completed items per week over the trailing window.",
    "forecast_p50_date": "Finish date reached in half of the simulations; null when closed, when no "
    "throughput or when beyond the horizon.",
    "forecast_p85_date": "Finish date reached in 85% of the simulations; null when closed, when no "
    "throughput or when beyond the horizon.",
}

# Ten years: a finish further out is no forecast, and the simulation must end somewhere.
HORIZON_WEEKS = 520
# Weeks simulated per step; most projects finish their milestones within the first step.
CHUNK_WEEKS = 52
QUANTILES = (0.5, 0.85)


def run(con: duckdb.DuckDBPyConnection, params: ModelParams) -> None:
    """Build intermediate.milestone_forecast from the progress and throughput tables."""
    # pandas (45 MiB, 0.3 s) only when the forecast is built: a run that keeps it never imports it.
    import pandas as pd

    milestones = con.execute(
        """
        SELECT milestone_id, source, project, state = 'open' AS is_open, remaining_items
        FROM intermediate.milestone_progress
        ORDER BY milestone_id
        """
    ).df()
    weekly = {
        (source, project): np.asarray(counts, dtype=np.int64)
        for source, project, counts in con.execute(
            """
            SELECT source, project, list(completed_items ORDER BY week_index)
            FROM intermediate.project_weekly_throughput
            GROUP BY source, project
            """
        ).fetchall()
    }
    today = params.as_of.astimezone(UTC).date()
    parts = [
        _forecast_project(group, weekly.get(key, np.zeros(1, dtype=np.int64)), params, today, key)
        for key, group in milestones.groupby(["source", "project"], sort=True)
    ]
    frame = pd.concat(parts) if parts else _frame([], [], [], [])
    con.register("_milestone_forecast", frame)
    try:
        con.execute(
            f"""
            CREATE OR REPLACE TABLE {NAME} AS
            SELECT
                milestone_id::VARCHAR AS milestone_id,
                throughput_per_week::DOUBLE AS throughput_per_week,
                forecast_p50_date::DATE AS forecast_p50_date,
                forecast_p85_date::DATE AS forecast_p85_date
            FROM _milestone_forecast
            """
        )
    finally:
        con.unregister("_milestone_forecast")


def _forecast_project(
    milestones: pd.DataFrame, counts: np.ndarray, params: ModelParams, today: date, key: tuple[str, str]
) -> pd.DataFrame:
    """Forecast dates for one project's milestones: remaining 0 → today; closed → none."""
    remaining = milestones["remaining_items"].to_numpy(dtype=np.int64)
    is_open = milestones["is_open"].to_numpy(dtype=bool)
    weeks = np.full((len(QUANTILES), len(milestones)), -1, dtype=np.int64)  # -1: no forecast
    weeks[:, is_open & (remaining == 0)] = 0
    todo = is_open & (remaining > 0)
    if todo.any() and counts.any():
        rng = np.random.default_rng([params.forecast_seed, zlib.crc32("\0".join(key).encode())])
        finish = finish_weeks(counts, remaining[todo], params.forecast_trials, rng)
        found = np.quantile(finish, QUANTILES, axis=0, method="inverted_cdf")
        weeks[:, todo] = np.where(found > HORIZON_WEEKS, -1, found)
    dates = [[today + timedelta(weeks=int(w)) if w >= 0 else None for w in row] for row in weeks]
    throughput = float(counts.mean()) if len(counts) else 0.0
    return _frame(milestones["milestone_id"].tolist(), [throughput] * len(milestones), *dates)


def finish_weeks(
    counts: np.ndarray, remaining: np.ndarray, trials: int, rng: np.random.Generator
) -> np.ndarray:
    """Simulated finish week (1-based) of each remaining count, shape (trials, len(remaining)).

    Weeks are drawn in chunks until every trial has reached the largest remaining count or the
    horizon ends; a trial that never gets there within HORIZON_WEEKS finishes at HORIZON_WEEKS + 1.
    """
    target = int(remaining.max())
    chunks: list[np.ndarray] = []
    total = np.zeros(trials, dtype=np.int64)
    simulated = 0
    while simulated < HORIZON_WEEKS and total.min() < target:
        size = min(CHUNK_WEEKS, HORIZON_WEEKS - simulated)
        cumulative = total[:, None] + np.cumsum(rng.choice(counts, size=(trials, size)), axis=1)
        chunks.append(cumulative)
        total = cumulative[:, -1]
        simulated += size
    paths = np.concatenate(chunks, axis=1)
    # Each row is non-decreasing: lifting row t by t * step (step above any value) makes the whole
    # matrix one sorted array, so a single searchsorted answers every trial and milestone at once.
    step = max(int(paths[:, -1].max()), target) + 1
    lift = np.arange(trials, dtype=np.int64) * step
    position = np.searchsorted((paths + lift[:, None]).ravel(), remaining[None, :] + lift[:, None])
    weeks = position - np.arange(trials)[:, None] * simulated + 1
    return np.where(weeks > simulated, HORIZON_WEEKS + 1, weeks)


def _frame(
    ids: list[str], throughput: list[float], p50: list[date | None], p85: list[date | None]
) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(
        {
            "milestone_id": pd.Series(ids, dtype="object"),
            "throughput_per_week": pd.Series(throughput, dtype="float64"),
            "forecast_p50_date": pd.Series(p50, dtype="object"),
            "forecast_p85_date": pd.Series(p85, dtype="object"),
        }
    )
