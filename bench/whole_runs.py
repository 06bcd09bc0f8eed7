"""The whole-run stages of one scale alone: `python -m bench.whole_runs --scale 210 --work DIR`.

With `--sync-only`, the full sync stage instead (the sync alone, as `make bench` measures it).

`make bench` takes ~12 minutes; a change to the run is measured with its first, no-change and
next-day runs at one scale (and the bare loop beside them, with `--bare`), each printed as a JSON
line with the machine's load average when it ended. Nothing is written to bench/results.*.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from bench import suite
from bench.emulator_host import EmulatorHost
from bench.stage import run_stage
from pipelines.demo import set_demo_secrets


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.whole_runs", description=__doc__)
    parser.add_argument("--scale", type=float, default=210.0, help="generator scale (210: 100k issues)")
    parser.add_argument("--work", type=Path, required=True, help="where working files go")
    parser.add_argument("--bare", action="store_true", help="measure the bare download loop first")
    parser.add_argument("--sync-only", action="store_true", help="the full sync alone instead of the runs")
    parser.add_argument("--profile", action="store_true", help="cProfile every stage into the work directory")
    parser.add_argument(
        "--changed",
        action="store_true",
        help="change 1%% of the issues before the runs, as `make bench` does after its syncs",
    )
    parser.add_argument(
        "--trackers", help="comma-separated tracker types to sync (default: all the bench measures)"
    )
    args = parser.parse_args(argv)
    trackers = args.trackers.split(",") if args.trackers else None
    set_demo_secrets()
    with EmulatorHost(args.scale) as host:
        if args.bare:
            config = suite.measured_config(
                host, args.work / "bare.yaml", trackers, warehouse=args.work / "bare.duckdb"
            )
            bare = run_stage("bare", {"config": str(config)}, args.work / "bare")
            _print("bare download", bare)
        if args.sync_only:
            config = suite.measured_config(
                host,
                args.work / "sync.yaml",
                trackers,
                warehouse=args.work / "sync.duckdb",
                work_dir=args.work / "sync",
            )
            _print("full sync", run_stage("sync", {"config": str(config)}, args.work / "sync"))
            return
        if args.changed:
            suite.change_issues(host)
        for stage, result in suite.whole_runs(host, args.work, args.profile, None, trackers).items():
            _print(stage, result)


def _print(stage: str, result: dict) -> None:
    keep = (
        "seconds",
        "exit_code",
        "models_built",
        "published_bytes",
        "peak_rss_bytes",
        "cpu_seconds",
        "requests",
    )
    line = {"stage": stage, **{k: result[k] for k in keep if k in result}, "load": os.getloadavg()[0]}
    print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
