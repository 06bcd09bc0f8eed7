"""`python -m bench --quick`: every bench stage runs at one tiny scale, so the bench cannot rot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import suite
from bench.__main__ import main
from bench.emulator_host import EmulatorHost
from emulators.emulated import registered
from pipelines.config import load
from pipelines.demo import DEMO_EMAIL, DEMO_TOKEN, EMAIL_ENV, TOKEN_ENV
from pipelines.models import discover


def test_quick_bench_runs_every_stage_and_writes_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, DEMO_TOKEN)
    monkeypatch.setenv(EMAIL_ENV, DEMO_EMAIL)
    out = tmp_path / "out"

    code = main(["--quick", "--profile", "--out", str(out), "--work", str(tmp_path / "work")])

    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert code == (0 if all(t["passed"] for t in results["targets"]) else 1)
    (scale,) = results["scales"]
    assert list(scale["stages"]) == ["bare download", "full sync", "no-change sync", "1%-changed sync"]
    for stage in scale["stages"].values():
        assert stage["requests"] > 0 and stage["peak_rss_bytes"] > 0
    # The sync reads the pages the bare loop reads (plus truncated changelogs): counted alike.
    full, bare = scale["stages"]["full sync"], scale["stages"]["bare download"]
    assert set(bare["by_key"]) <= set(full["by_key"]) <= set(scale["floors"]["full"])
    # Every registered tracker is measured: downloaded, synced, given floors and edited.
    for stage in (bare, full):
        assert {key.split()[0] for key in stage["by_key"]} == set(registered())
    assert {key.split()[0] for key in scale["edited"]} == set(registered())
    assert scale["changed_floors"] and sum(scale["edited"].values()) > 0
    # Whole runs: the no-change one keeps every model, the next day's builds them all again.
    runs = scale["runs"]
    assert list(runs) == ["first run", "no-change run", "next-day run"]
    assert [run["exit_code"] for run in runs.values()] == [0, 0, 0]
    every = len(discover())
    assert [run["models_built"] for run in runs.values()] == [every, 0, every]
    assert runs["first run"]["requests"] >= full["requests"] and runs["first run"]["published_bytes"] > 0
    # `--profile` profiles the run's own process: its command's main, not the stage waiting for it.
    for slug in ("first-run", "no-change-run", "next-day-run"):
        assert "(main)" in (tmp_path / "work" / "tiny" / f"{slug}.profile.txt").read_text(encoding="utf-8")
    models = results["models"]
    assert models["data"]["work_items"] == 20_000 and models["data"]["history_rows"] == 100_000
    assert models["build"]["tables"]["marts.work_items"] == 20_000
    names = [t["name"] for t in results["targets"]]
    assert any("full sync" in n for n in names) and any("model rebuild" in n for n in names)
    assert "## Targets" in (out / "results.md").read_text(encoding="utf-8")


def test_a_tracker_whose_first_read_is_over_the_budget_is_left_out_of_the_scale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 100k one request per item is ~380k requests (GitLab's event lists): measured only where
    its first read fits the plan's budget, its floors left out with it."""
    monkeypatch.setenv(TOKEN_ENV, DEMO_TOKEN)
    monkeypatch.setenv(EMAIL_ENV, DEMO_EMAIL)
    with EmulatorHost(0.1) as host:
        full = host.control("GET", "floors")["full"]
        first_reads = suite._per_tracker(full)
        assert sum(first_reads.values()) == sum(full.values()) and set(first_reads) == set(registered())
        largest = max(first_reads, key=first_reads.__getitem__)
        kinds = suite.within_budget(first_reads, first_reads[largest] - 1)
        config = suite.measured_config(
            host, tmp_path / "trackerlake.yaml", kinds, warehouse=tmp_path / "published.duckdb"
        )
    assert kinds == set(registered()) - {largest}
    assert {source.type for source in load(config, check_env=False).sources} == kinds
    assert {key.split()[0] for key in suite._of(full, kinds)} == kinds
    assert suite.within_budget(first_reads, None) == set(registered())
