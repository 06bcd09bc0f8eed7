"""Sources synced one after the other, or each in a process of its own at the same time, every one
into its own landing file (pipelines/landing.py, issue 15).

    python -m bench.landing_stage --scale 21 --work DIR

Two emulated organisations (seeds 7 and 8), each in its own emulator process, give eight sources:
per organisation each repo and the first project of every tracker listing projects, as a source of
its own, in the config's order, eight at most (with GitLab registered, the first organisation's
GitLab project takes the place the second organisation's Jira project had). The stage
runs on fresh landings sequentially in one process, then in 2 processes (the machine's cores) and
in one process per source, and prints for each its wall time, records, and peak RSS: of the one process, or of the
largest sync process and of all of them together (sampled every 50 ms).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import threading
import time
import uuid
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
    with spawn.Pool(processes) as pool, _TreeRss() as rss:
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


class _TreeRss:
    """Peak RSS of this process's children, the largest one's and their sum, sampled."""

    def __init__(self) -> None:
        self.largest = self.total = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> _TreeRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            sizes = [_rss(pid) for pid in _children(os.getpid())]
            self.largest = max(self.largest, *sizes, 0)
            self.total = max(self.total, sum(sizes))


def _children(pid: int) -> list[int]:
    """Child processes of any of `pid`'s threads (a pool may start them from a thread of its own)."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            children += [int(child) for child in (task / "children").read_text(encoding="utf-8").split()]
        except OSError:
            continue  # the thread ended
    return children


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass  # ended between the listing and the read
    return 0


def split_config(hosts: list[EmulatorHost], path: Path) -> Path:
    """Eight sources from the organisations: per organisation each repo, and the first project of
    each other tracker, as a source of its own."""
    from bench.bare_loop import downloadable
    from pipelines.demo import write_config

    sources: list[dict[str, Any]] = []
    for number, host in enumerate(hosts):
        for source in host.control("GET", "config", warehouse=str(path.with_suffix(".duckdb")))["sources"]:
            if not downloadable(source["type"]):
                continue  # the trackers the bench measures (bench.suite.measured_config)
            scopes = "repos" if "repos" in source else "projects"
            for scope in source[scopes][: 3 if scopes == "repos" else 1]:
                name = f"org{number}-{scope.replace('/', '-').lower()}"
                sources.append({**source, "name": name, scopes: [scope]})
    raw = {"warehouse": str(path.with_suffix(".duckdb")), "sources": sources[:SOURCES]}
    return write_config(path, raw)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.landing_stage", description=__doc__)
    parser.add_argument("--scale", type=float, default=21.0, help="generator scale per organisation")
    parser.add_argument("--work", type=Path, required=True)
    args = parser.parse_args(argv)
    # Imported here, not with the module: each parallel sync process imports this module for
    # `_sync`, and should hold no more than a sync needs.
    from bench.emulator_host import EmulatorHost
    from bench.stage import run_stage
    from pipelines.demo import set_demo_secrets

    set_demo_secrets()
    with EmulatorHost(args.scale, seed=7) as first, EmulatorHost(args.scale, seed=8) as second:
        config = split_config([first, second], args.work / "sources.yaml")
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
