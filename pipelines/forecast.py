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
from collections import defaultdict
from datetime import UTC, date, timedelta
from typing import TYPE_CHECKING

import duckdb
import numpy as np

if TYPE_CHECKING:
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
    # Rows and lists in, list parameters out: a DataFrame would import pandas and pyarrow (~50 MiB
    # of the run's peak memory) for a few thousand milestones.
    groups: defaultdict[tuple[str, str], list[tuple[str, bool, int]]] = defaultdict(list)
    for milestone_id, source, project, is_open, remaining in con.execute(
        """
        SELECT milestone_id, source, project, state = 'open' AS is_open, remaining_items
        FROM intermediate.milestone_progress
        WHERE source IS NOT NULL AND project IS NOT NULL  -- no project, no throughput to draw from
        ORDER BY milestone_id
        """
    ).fetchall():
        groups[source, project].append((milestone_id, bool(is_open), remaining))
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
    columns: tuple[list, list, list, list] = ([], [], [], [])
    # Projects in sorted order, each seeded from its own key: a project's dates do not depend on
    # which other projects there are.
    for key in sorted(groups):
        counts = weekly.get(key, np.zeros(1, dtype=np.int64))
        for column, values in zip(
            columns, _forecast_project(groups[key], counts, params, today, key), strict=True
        ):
            column.extend(values)
    con.execute(
        f"""
        CREATE OR REPLACE TABLE {NAME} AS
        SELECT
            unnest($1::VARCHAR[]) AS milestone_id,
            unnest($2::DOUBLE[]) AS throughput_per_week,
            unnest($3::DATE[]) AS forecast_p50_date,
            unnest($4::DATE[]) AS forecast_p85_date
        """,
        list(columns),
    )


def _forecast_project(
    milestones: list[tuple[str, bool, int]],
    counts: np.ndarray,
    params: ModelParams,
    today: date,
    key: tuple[str, str],
) -> tuple[list[str], list[float], list[date | None], list[date | None]]:
    """Forecast columns for one project's (id, is_open, remaining) milestones: remaining 0 → today;
    closed → none."""
    ids = [milestone_id for milestone_id, _, _ in milestones]
    is_open = np.array([open_ for _, open_, _ in milestones], dtype=bool)
    remaining = np.array([left for _, _, left in milestones], dtype=np.int64)
    weeks = np.full((len(QUANTILES), len(milestones)), -1, dtype=np.int64)  # -1: no forecast
    weeks[:, is_open & (remaining == 0)] = 0
    todo = is_open & (remaining > 0)
    if todo.any() and counts.any():
        rng = np.random.default_rng([params.forecast_seed, zlib.crc32("\0".join(key).encode())])
        finish = finish_weeks(counts, remaining[todo], params.forecast_trials, rng)
        found = np.quantile(finish, QUANTILES, axis=0, method="inverted_cdf")
        weeks[:, todo] = np.where(found > HORIZON_WEEKS, -1, found)
    p50, p85 = ([today + timedelta(weeks=int(w)) if w >= 0 else None for w in row] for row in weeks)
    throughput = float(counts.mean()) if len(counts) else 0.0
    return ids, [throughput] * len(ids), p50, p85


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
