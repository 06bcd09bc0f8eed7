"""The targets of issues 6 and 14, each checked against a bench run's results with its margin.

Request targets are counted per scope and stream (bench/request_kinds.py) from the emulator's own
request log, against the floors computed from the organisation (bench/floors.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

GIB = 1024**3
SYNC_OVER_BARE = 1.5  # sync time at the largest scale / bare download loop time
RSS_GROWTH = 1.2  # full-sync peak RSS at the largest scale / at the smallest
CHANGED_OVER_FLOOR = 1.1  # requests of the 1%-changed sync / the fewest it needs
MODEL_SECONDS, MODEL_RSS = 60.0, 3 * GIB
RUN_OVER_BARE = 2.0  # first whole `trackerlake run` / bare download loop, at the largest scale
NO_CHANGE_SECONDS = 3.0  # a whole run with nothing changed, at the largest scale
RUN_RSS = 500 * 2**20  # peak RSS of any whole run at the largest scale


@dataclass(frozen=True)
class Target:
    name: str
    passed: bool
    detail: str  # what was measured against what, and by how much it passes or fails

    def line(self) -> str:
        return f"{'PASS' if self.passed else 'FAIL'}  {self.name}: {self.detail}"


def check(results: dict[str, Any]) -> list[Target]:
    """Every target the results allow checking (the RSS growth needs two scales)."""
    scales = results["scales"]
    found: list[Target] = []
    for scale in scales:
        found += _requests(scale)
    largest = scales[-1]
    found.append(_sync_time(largest))
    if len(scales) > 1:
        found.append(_ingest_memory(scales[0], largest))
    # Like the sync's, at the largest scale: at 10k the run's fixed costs (imports, Dagster's steps,
    # the report) weigh as much as the download itself; results.md shows the ratio at each scale.
    found.append(_first_run(largest))
    found += _quiet_run(largest)
    found += _models(results["models"])
    return found


def as_json(targets: list[Target]) -> list[dict[str, Any]]:
    return [asdict(target) for target in targets]


def _over(actual: dict[str, int], floors: dict[str, int]) -> list[str]:
    """Keys with more requests than their floor (a key with no floor has a floor of 0)."""
    return [
        f"{key} {count}>{floors.get(key, 0)}"
        for key, count in sorted(actual.items())
        if count > floors.get(key, 0)
    ]


def _requests(scale: dict[str, Any]) -> list[Target]:
    label, stages, floors = scale["label"], scale["stages"], scale["floors"]
    names = (
        f"{label} full sync ≤ ⌈items/page⌉ per scope and stream",
        f"{label} no-change sync ≤ 1 request per scope and stream",
        f"{label} 1%-changed sync within {CHANGED_OVER_FLOOR - 1:.0%} of the floor",
    )
    full, quiet, changed = (stages.get(name) for name in ("full sync", "no-change sync", "1%-changed sync"))
    if full is None or full.get("timed_out"):
        made = full["requests"] if full else 0
        detail = (
            f"stopped after {made} of its {sum(floors['full'].values())} requests; the next syncs not run"
        )
        return [Target(name, False, detail) for name in names]
    over, made, floor = _over(full["by_key"], floors["full"]), full["requests"], sum(floors["full"].values())
    targets = [Target(names[0], not over, _with(f"{made} requests, floor {floor} ({floor - made:+d})", over))]
    over, made, pairs = _over(quiet["by_key"], floors["quiet"]), quiet["requests"], len(floors["quiet"])
    targets.append(
        Target(
            names[1], not over, _with(f"{made} requests for {pairs} scope-streams ({pairs - made:+d})", over)
        )
    )
    floor = sum(scale["changed_floors"].values())
    made, limit = changed["requests"], CHANGED_OVER_FLOOR * floor
    detail = f"{made} requests, floor {floor}, limit {limit:.0f} ({made / floor - 1:+.0%} over the floor)"
    targets.append(Target(names[2], made <= limit, detail))
    return targets


def _with(detail: str, over: list[str]) -> str:
    return detail if not over else f"{detail}; over: {', '.join(over[:6])}{' …' if len(over) > 6 else ''}"


def _sync_time(scale: dict[str, Any]) -> Target:
    name = f"{scale['label']} sync ≤ {SYNC_OVER_BARE}× the bare download loop"
    return _over_bare(name, scale["stages"].get("full sync"), scale, SYNC_OVER_BARE)


def _over_bare(name: str, stage: dict[str, Any] | None, scale: dict[str, Any], limit: float) -> Target:
    """`stage` took at most `limit` times the scale's bare download loop."""
    bare = scale["stages"].get("bare download")
    if bare is None or stage is None:
        return Target(name, False, "not measured")
    ratio = stage["seconds"] / bare["seconds"]
    stopped = " (stopped: at least)" if stage.get("timed_out") else ""
    detail = f"{stage['seconds']:.1f}s vs {bare['seconds']:.1f}s = {ratio:.2f}×{stopped}, limit {limit:g}×"
    return Target(name, ratio <= limit and not stage.get("timed_out"), detail)


def _ingest_memory(small: dict[str, Any], large: dict[str, Any]) -> Target:
    name = f"ingest memory flat: peak RSS at {large['label']} ≤ {RSS_GROWTH}× at {small['label']}"
    low, high = (scale["stages"].get("full sync") for scale in (small, large))
    if not low or not high:
        return Target(name, False, "not measured")
    ratio = high["peak_rss_bytes"] / low["peak_rss_bytes"]
    stopped = " (stopped: at least)" if high.get("timed_out") else ""
    detail = (
        f"{high['peak_rss_bytes'] / 2**20:.0f} MiB{stopped} vs {low['peak_rss_bytes'] / 2**20:.0f} MiB = "
        f"{ratio:.2f}×, limit {RSS_GROWTH}×"
    )
    return Target(name, ratio <= RSS_GROWTH and not high.get("timed_out"), detail)


def _first_run(scale: dict[str, Any]) -> Target:
    name = f"{scale['label']} first whole run ≤ {RUN_OVER_BARE:g}× the bare download loop"
    first = scale.get("runs", {}).get("first run")
    return _failed_run(name, first) or _over_bare(name, first, scale, RUN_OVER_BARE)


def _failed_run(name: str, run: dict[str, Any] | None) -> Target | None:
    """A whole run that did not succeed passes no target, however fast (its output says why)."""
    if run is None or run.get("timed_out") or run.get("exit_code") == 0:
        return None
    return Target(
        name, False, f"the run exited {run.get('exit_code')} (its printed summary is in the work directory)"
    )


def _quiet_run(scale: dict[str, Any]) -> list[Target]:
    """The no-change run's wall time, and the peak RSS of every whole run, at one scale."""
    label, runs = scale["label"], scale.get("runs", {})
    quiet = runs.get("no-change run")
    name = f"{label} no-change whole run ≤ {NO_CHANGE_SECONDS:g}s"
    if quiet is None:
        time = Target(name, False, "not measured")
    elif failed := _failed_run(name, quiet):
        time = failed
    else:
        seconds = quiet["seconds"]
        detail = f"{seconds:.1f}s ({NO_CHANGE_SECONDS - seconds:+.1f}s), {quiet['models_built']} models built"
        time = Target(name, seconds <= NO_CHANGE_SECONDS, detail)
    name = f"{label} whole-run peak RSS ≤ {RUN_RSS / 2**20:.0f} MiB"
    if not runs:
        return [time, Target(name, False, "not measured")]
    stage, peak = max(
        ((stage, run["peak_rss_bytes"]) for stage, run in runs.items()), key=lambda pair: pair[1]
    )
    detail = f"{peak / 2**20:.0f} MiB in the {stage} ({(RUN_RSS - peak) / 2**20:+.0f} MiB)"
    return [time, Target(name, peak <= RUN_RSS, detail)]


def _models(models: dict[str, Any]) -> list[Target]:
    build = models.get("build")
    items = f"{models['data']['work_items']:,} work items / {models['data']['history_rows']:,} history rows"
    if build is None:
        return [Target(f"model rebuild of {items}", False, "not measured")]
    stopped = " (stopped: at least)" if build.get("timed_out") else ""
    seconds, rss = build["seconds"], build["peak_rss_bytes"]
    return [
        Target(
            f"model rebuild of {items} ≤ {MODEL_SECONDS:.0f}s",
            seconds <= MODEL_SECONDS and not build.get("timed_out"),
            f"{seconds:.1f}s{stopped} on {build.get('threads', '?')} threads ({MODEL_SECONDS - seconds:+.1f}s)",
        ),
        Target(
            f"model rebuild peak RSS ≤ {MODEL_RSS / GIB:.0f} GiB",
            rss <= MODEL_RSS,
            f"{rss / GIB:.2f} GiB ({(MODEL_RSS - rss) / GIB:+.2f} GiB)",
        ),
    ]
