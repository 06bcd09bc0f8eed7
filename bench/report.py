"""bench/results.md and bench/results.json from a bench run's results and targets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.targets import Target, as_json

MIB = 2**20


def write(results: dict[str, Any], targets: list[Target], out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    as_data = {**results, "targets": as_json(targets)}
    json_path = out_dir / "results.json"
    json_path.write_text(json.dumps(as_data, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    md_path = out_dir / "results.md"
    md_path.write_text(markdown(results, targets), encoding="utf-8")
    return md_path, json_path


def markdown(results: dict[str, Any], targets: list[Target]) -> str:
    machine = results["machine"]
    lines = [
        "# trackerlake bench results",
        "",
        f"`make bench` on {results['run_at']}: {machine['cpus']} CPUs, Python {machine['python']}, "
        f"DuckDB {machine['duckdb']}, {machine['platform']}; load average {machine['load_average_before']:.1f} "
        f"before, {machine['load_average_after']:.1f} after; the whole bench took {results['bench_seconds'] / 60:.1f} min.",
        "",
        "## Targets",
        "",
        *[f"- **{'PASS' if t.passed else 'FAIL'}** {t.name}: {t.detail}" for t in targets],
        "",
        "## Sync against the emulators",
        "",
        "Each stage is a process of its own; requests are counted by the emulator (304s included).",
        "The bare loop only downloads the same pages; the sync is `pipelines.ingest.sync_source` per source.",
        "CPU is the stage process's user and system time, its imports included; the emulator has the other core.",
        *_header(
            "scale",
            "stage",
            "seconds",
            "requests",
            "records",
            "records/s",
            "MB",
            "CPU s",
            "peak RSS MiB",
            text=2,
        ),
    ]
    for scale in results["scales"]:
        for name, stage in scale["stages"].items():
            lines.append(_stage_row(f"{scale['label']}", name, stage))
    lines += _header(
        "scale",
        "items per tracker",
        "generated in",
        "emulator peak RSS MiB",
        "sync ÷ bare",
        text=2,
    )
    for scale in results["scales"]:
        counts, stages = scale["counts"], scale["stages"]
        ratio = stages["full sync"]["seconds"] / stages["bare download"]["seconds"]
        lines.append(
            f"| {scale['label']} (scale {scale['scale']:g}) | {_counts(counts)} | "
            f"{scale['generated_seconds']:.1f}s | {scale['emulator_peak_rss_bytes'] / MIB:.0f} | "
            f"{ratio:.2f}×{' (stopped)' if stages['full sync'].get('timed_out') else ''} |"
        )
    left_out = [
        f"{kind} at {scale['label']} ({requests:,} requests)"
        for scale in results["scales"]
        for kind, requests in scale.get("left_out", {}).items()
    ]
    if left_out:
        lines += [
            "",
            "Not measured, their first read needing more requests than the bench's budget per tracker "
            "at its largest scale (the same trackers at every scale, so that the scales compare): "
            + ", ".join(left_out)
            + ". Their items are in the counts above, served but not read.",
        ]
    lines += [
        "",
        "Per source:",
        *_header("scale", "stage", "source", "seconds", "requests", "records or MB", text=3),
    ]
    for scale in results["scales"]:
        for name, stage in scale["stages"].items():
            for source, figures in stage.get("sources", {}).items():
                amount = figures.get("records", f"{figures.get('bytes', 0) / 1e6:.0f} MB")
                lines.append(
                    f"| {scale['label']} | {name} | {source} | {figures['seconds']:.1f} | {figures['requests']} | {amount} |"
                )
    lines += _whole_runs(results["scales"])
    data, build = results["models"]["data"], results["models"]["build"]
    lines += [
        "",
        "## Model rebuild",
        "",
        f"{data['work_items']:,} work items and {data['history_rows']:,} history rows generated into raw tables "
        f"in {data['seconds']:.1f}s ({data['database_bytes'] / MIB:.0f} MiB), then `build_all` on the pipeline's connection, "
        "DuckDB capped as the run's model assets cap it:",
        "",
        *_header("stage", "seconds", "peak RSS MiB", text=1)[1:],
        f"| generate raw | {data['seconds']:.1f} | {data['peak_rss_bytes'] / MIB:.0f} |",
        f"| build_all | {build['seconds']:.1f}{' (stopped)' if build.get('timed_out') else ''} | {build['peak_rss_bytes'] / MIB:.0f} |",
        "",
        "## Reproduce",
        "",
        "    make bench                       # ~14 min on 2 cores; rewrites bench/results.{md,json}",
        "    .venv/bin/python -m bench --quick --out /tmp/bench   # one tiny scale, ~20 s (the smoke test)",
        "    .venv/bin/python -m bench --profile --work /tmp/bench-work   # cProfile of each stage there",
        "",
    ]
    return "\n".join(lines)


def _whole_runs(scales: list[dict[str, Any]]) -> list[str]:
    lines = [
        "",
        "## Whole run",
        "",
        "`trackerlake run` as a user runs it (sync, models, checks, publish, report): the installed command,",
        "timed from its start to its exit (interpreter, imports and exit included), with its own CPU and peak",
        "RSS, on a working database of its own: a first run, a run with nothing changed since (same as_of),",
        "and a run a day later with no tracker change (as_of moved: every model is built).",
        *_header(
            "scale",
            "stage",
            "seconds",
            "× bare loop",
            "requests",
            "models built",
            "published MiB",
            "CPU s",
            "peak RSS MiB",
            text=2,
        ),
    ]
    for scale in scales:
        bare = scale["stages"]["bare download"]["seconds"]
        for name, run in scale.get("runs", {}).items():
            if run.get("timed_out"):
                lines.append(f"| {scale['label']} | {name} | {run['seconds']:.1f} (stopped) | | | | | | |")
                continue
            failed = f" (exit {run['exit_code']})" if run["exit_code"] else ""
            lines.append(
                f"| {scale['label']} | {name} | {run['seconds']:.1f}{failed} | {run['seconds'] / bare:.2f}× | "
                f"{run['requests']} | {run['models_built']} | "
                f"{run['published_bytes'] / MIB:.0f} | {run['cpu_seconds']:.1f} | {run['peak_rss_bytes'] / MIB:.0f} |"
            )
    return lines


def _header(*columns: str, text: int) -> list[str]:
    """A blank line and a markdown table header whose first `text` columns are left-aligned."""
    rule = ["---"] * text + ["---:"] * (len(columns) - text)
    return ["", f"| {' | '.join(columns)} |", f"|{'|'.join(rule)}|"]


def _stage_row(scale: str, name: str, stage: dict[str, Any]) -> str:
    seconds = stage["seconds"]
    records = stage.get("records")
    statuses = ", ".join(f"{count}×{status}" for status, count in sorted(stage.get("by_status", {}).items()))
    rate = f"{records / seconds:,.0f}" if records and seconds else "—"
    megabytes = f"{stage['bytes'] / 1e6:.0f}" if "bytes" in stage else "—"
    cpu = f"{stage['cpu_seconds']:.1f}" if "cpu_seconds" in stage else "—"
    stopped = " (stopped)" if stage.get("timed_out") else ""
    return (
        f"| {scale} | {name} | {seconds:.1f}{stopped} | {stage['requests']} ({statuses}) | "
        f"{records if records is not None else '—'} | {rate} | {megabytes} | {cpu} | {stage['peak_rss_bytes'] / MIB:.0f} |"
    )


def _counts(counts: dict[str, int]) -> str:
    """`github_issues: 474, …` as "github 474 issues, …": what each tracker holds, in one cell."""
    return ", ".join(f"{name.replace('_', ' ', 1)} {count:,}" for name, count in counts.items())
