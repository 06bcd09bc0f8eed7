"""Sources synced one after the other, or each in a process of its own at the same time, every one
into its own landing file (pipelines/landing.py, issue 15).

    python -m bench.landing_stage --scale 21 --work DIR [--whole-runs]

Two emulated organisations (seeds 7 and 8), each in its own emulator process, give eight sources:
per organisation each repo and the first project of every tracker listing projects, as a source of
its own, in the config's order, eight at most (with GitLab registered, the first organisation's
GitLab project takes the place the second organisation's Jira project had). The stage
runs on fresh landings sequentially in one process, then in 2 processes (the machine's cores) and
in one process per source, and prints for each its wall time, records, and peak RSS: of the one process, or of the
largest sync process and of all of them together (sampled every 50 ms).

With `--whole-runs` it times `trackerlake run` itself on the same eight sources instead, with
`run.max_processes` 1, 2 and 8 (Dagster's in-process, then multiprocess executor): a first run
from nothing, then a run with nothing new, each with its wall time, CPU time and the peak RSS of the run's
largest process and of all its processes together. `--latency-ms N` has every emulator answer
wait N ms first, as a tracker across the internet does (emulators/server.py `latency`): loopback
answers at once, so without it the bench measures CPU only.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines import config as config_module
from pipelines.ingest import sync_source
from pipelines.landing import SourceFiles

if TYPE_CHECKING:
    from bench.emulator_host import EmulatorHost

SOURCES = 8
MIB = 2**20


def run(config: str, landing: str, processes: int) -> dict[str, Any]:
    """Sync every source of `config` into its own file under `landing`, one after the other in this
    process (`processes` 0) or in that many processes at a time; `seconds` is the syncs'."""
    names = [source.name for source in config_module.load(config).sources]
    started = time.perf_counter()
    if not processes:
        records = sum(_sync(config, landing, name) for name in names)
        return {"seconds": time.perf_counter() - started, "records": records, "sources": len(names)}
    spawn = multiprocessing.get_context("spawn")
    with spawn.Pool(processes) as pool, _TreeRss(os.getpid()) as rss:
        records = sum(pool.starmap(_sync, [(config, landing, name) for name in names]))
    return {
        "seconds": time.perf_counter() - started,
        "records": records,
        "sources": len(names),
        "largest_process_rss_bytes": rss.largest,
        "all_processes_rss_bytes": rss.total,
    }


def _sync(config: str, landing: str, name: str) -> int:
    source = config_module.load(config).source(name)
    with SourceFiles(Path(landing)).writer(name) as con:
        return sync_source(con, source, uuid.uuid4().hex).total_records


def whole_run(config: Path, processes: int, work: Path) -> list[dict[str, Any]]:
    """`trackerlake run` on `config` with `run.max_processes` set, into a warehouse of its own under
    `work`, twice (from nothing, then with nothing new): seconds, CPU seconds and peak RSS of each."""
    import yaml

    from pipelines.demo import write_config

    raw = yaml.safe_load(config.read_text(encoding="utf-8"))
    raw |= {"warehouse": str(work / "warehouse.duckdb"), "run": {"max_processes": processes}}
    path = write_config(work / "trackerlake.yaml", raw)
    results = []
    for night in ("first", "nothing new"):
        started = time.perf_counter()
        command = [str(Path(sys.executable).with_name("trackerlake")), "run", "--config", str(path)]
        with (
            subprocess.Popen(command, cwd=work, stdout=subprocess.DEVNULL) as child,
            _TreeRss(child.pid) as rss,
        ):
            code = child.wait()
        results.append(
            {
                "run": night,
                "exit": code,
                "seconds": round(time.perf_counter() - started, 1),
                "cpu_seconds": round(rss.cpu_seconds, 1),
                "largest_process_rss_bytes": rss.largest,
                "all_processes_rss_bytes": rss.total,
            }
        )
    return results


class _TreeRss:
    """Peak RSS of `root`'s processes: the largest one's and their sum, sampled; and their CPU
    seconds, each process's as last sampled (a process that ends between samples loses at most
    50 ms: its parent may never wait for it, so the kernel's children's usage would miss it). A
    root that is this process counts its descendants only (the bench itself is not measured)."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.largest = self.total = 0
        self._ticks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> _TreeRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def cpu_seconds(self) -> float:
        return sum(self._ticks.values()) / os.sysconf("SC_CLK_TCK")

    def _sample(self) -> None:
        from bench.stage import descendants  # imported on the bench's side only, as in main

        while not self._stop.wait(0.05):
            pids = descendants(self.root) + ([] if self.root == os.getpid() else [self.root])
            sizes = [_rss(pid) for pid in pids]
            self._ticks |= {pid: ticks for pid in pids if (ticks := _cpu_ticks(pid))}
            self.largest = max(self.largest, *sizes, 0)
            self.total = max(self.total, sum(sizes))


def _cpu_ticks(pid: int) -> int:
    """User and system clock ticks of `pid` so far (/proc/PID/stat's utime and stime), 0 if it ended."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rpartition(")")[2].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # fields 14 and 15, counted from the state (field 3)


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass  # ended between the listing and the read
    return 0


def split_config(hosts: list[EmulatorHost], path: Path, types: Sequence[str] = ()) -> Path:
    """Eight sources from the organisations: per organisation each repo, and the first project of
    each other tracker, as a source of its own. With `types`, the sources of those tracker types
    only, every scope of theirs a source (sources of a like size: no one of them sets the pace)."""
    from bench.bare_loop import downloadable
    from pipelines.demo import write_config

    sources: list[dict[str, Any]] = []
    for number, host in enumerate(hosts):
        for source in host.control("GET", "config", warehouse=str(path.with_suffix(".duckdb")))["sources"]:
            if not downloadable(source["type"]) or (types and source["type"] not in types):
                continue  # the trackers the bench measures (bench.suite.measured_config)
            scopes = "repos" if "repos" in source else "projects"
            first = None if types else 3 if scopes == "repos" else 1
            for scope in source[scopes][:first]:
                name = f"org{number}-{scope.replace('/', '-').lower()}"
                sources.append({**source, "name": name, scopes: [scope]})
    raw = {"warehouse": str(path.with_suffix(".duckdb")), "sources": sources[:SOURCES]}
    return write_config(path, raw)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.landing_stage", description=__doc__)
    parser.add_argument("--scale", type=float, default=21.0, help="generator scale per organisation")
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--whole-runs", action="store_true", help="time `trackerlake run` itself")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="every emulator answer waits this long")
    parser.add_argument(
        "--types", default="", help="comma-separated tracker types: their sources only, every scope one"
    )
    args = parser.parse_args(argv)
    # Imported here, not with the module: each parallel sync process imports this module for
    # `_sync`, and should hold no more than a sync needs.
    from bench.emulator_host import EmulatorHost
    from bench.stage import run_stage
    from pipelines.demo import set_demo_secrets

    set_demo_secrets()
    latency = args.latency_ms / 1000
    with (
        EmulatorHost(args.scale, seed=7, latency=latency) as first,
        EmulatorHost(args.scale, seed=8, latency=latency) as second,
    ):
        config = split_config(
            [first, second], args.work / "sources.yaml", [t for t in args.types.split(",") if t]
        )
        if args.whole_runs:
            for processes in (1, 2, SOURCES):
                for result in whole_run(config, processes, args.work / f"run-{processes}"):
                    shown = {
                        k.replace("_bytes", "_mib"): round(v / MIB)
                        for k, v in result.items()
                        if k.endswith("bytes")
                    }
                    others = {k: v for k, v in result.items() if not k.endswith("bytes")}
                    line = {"max_processes": processes, **others, **shown, "load": os.getloadavg()[0]}
                    print(json.dumps(line), flush=True)
            return
        for processes in (0, 2, SOURCES):
            label = f"{processes} processes" if processes else "sequential"
            args_ = {"config": str(config), "landing": str(args.work / label), "processes": processes}
            result = run_stage("landing", args_, args.work / label)
            shown = {k: v for k, v in result.items() if k not in ("wall_seconds",)}
            for key in [k for k in shown if k.endswith("rss_bytes")]:
                shown[key.replace("_bytes", "_mib")] = round(shown.pop(key) / MIB)
            print(json.dumps({"stage": label, **shown, "load": os.getloadavg()[0]}), flush=True)


if __name__ == "__main__":
    main()
