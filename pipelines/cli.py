"""`trackerlake` command line: demo, run, report, emulate, check-config, new-tracker.

Exit codes: 0 success (slipping milestones are findings, not failures); 1 a source, model or the
publish failed, one line `FAILED ...` each, with its cause; 2 bad config or usage, with one line
naming the problem; 3 slipping milestones with `--fail-on-slip`; 4 another run holds the
warehouse (its PID and start time are named), nothing was done.

Dagster is imported only by the commands that run the pipeline (not by `report`); every command works from any
directory (paths in the config are relative to the config file).
"""

from __future__ import annotations

import argparse
import atexit
import os
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from connectors.http import printable
from pipelines import config as config_module
from pipelines import runlock
from pipelines.config import ConfigError

if TYPE_CHECKING:
    from pipelines.run import RunOutcome

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_SLIPPING, EXIT_LOCKED = 0, 1, 2, 3, 4


class UsageError(ValueError):
    """Bad command-line input: printed as one line, exit 2."""


def as_of_arg(value: str) -> datetime:
    # Only `run` takes --as-of, and it imports Dagster anyway: --help and check-config do not.
    from pipelines.defs.resources import parse_as_of

    try:
        return parse_as_of(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date or time: {value!r}") from None


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="trackerlake", description=__doc__.splitlines()[0])
    commands = top.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="run the whole pipeline on the built-in emulators")
    demo.add_argument("--warehouse", type=Path, default=Path("data/demo.duckdb"))
    demo.add_argument("--scale", type=float, default=1.0)
    demo.add_argument("--seed", type=int, default=7)

    run = commands.add_parser("run", help="sync, model, check and publish once")
    run.add_argument("--config", type=Path)
    run.add_argument("--as-of", type=as_of_arg, dest="as_of")
    run.add_argument("--select", nargs="+", metavar="SOURCE")
    run.add_argument("--full-refresh", action="store_true")
    run.add_argument("--fail-on-slip", action="store_true")

    report = commands.add_parser(
        "report", help="write the HTML report and Markdown digest beside the published warehouse"
    )
    where = report.add_mutually_exclusive_group()
    where.add_argument("--config", type=Path)
    where.add_argument("--warehouse", type=Path, help="a published warehouse file (default: the config's)")

    emulate = commands.add_parser("emulate", help="serve every tracker's emulator until stopped")
    emulate.add_argument("--port", type=int, default=8765)
    emulate.add_argument("--scale", type=float, default=1.0)
    emulate.add_argument("--seed", type=int, default=7)
    emulate.add_argument(
        "--faults",
        default=None,
        metavar="SPEC",
        help="inject faults, e.g. 429:0.05,reset:0.01,seed=3 (docs/reliability.md)",
    )
    emulate.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        metavar="MS",
        help="every answer waits this long, as a tracker across the internet does (e.g. 150)",
    )
    emulate.add_argument("--write-config", type=Path, metavar="FILE")

    check = commands.add_parser("check-config", help="validate the config (and, with --connect, each source)")
    check.add_argument("--config", type=Path)
    check.add_argument("--connect", action="store_true")

    new = commands.add_parser(
        "new-tracker", help="scaffold a tracker's folders and list what is left to fill"
    )
    new.add_argument("name", metavar="NAME", help="its config type, [a-z][a-z0-9_]*")
    return top


def cmd_run(args: argparse.Namespace) -> int:
    path = config_module.resolve_path(args.config).resolve()
    config = config_module.load(path)
    if args.select:
        unknown = sorted(set(args.select) - {s.name for s in config.sources})
        if unknown:
            raise UsageError(f"--select: no source named {unknown[0]!r} in {path}")
    as_of = args.as_of or config.as_of or datetime.now(UTC)
    return run_and_report(config, path, as_of, args.select, args.full_refresh, args.fail_on_slip)


def run_and_report(
    config: config_module.Config,
    path: Path,
    as_of: datetime,
    select: list[str] | None = None,
    full_refresh: bool = False,
    fail_on_slip: bool = False,
) -> int:
    """One run under the warehouse's lock, then its summary; returns the exit code."""
    with runlock.hold(config.work_database, run=uuid.uuid4().hex) as dead_holder:
        if dead_holder:
            print(f"Took over the lock of a run that did not finish ({dead_holder}).")
        from pipelines.run import execute  # Dagster: only once the run is sure to go ahead

        outcome = execute(config, path, as_of, select, full_refresh)
        return _report(config, outcome, as_of, fail_on_slip)


def _report(config: config_module.Config, outcome: RunOutcome, as_of: datetime, fail_on_slip: bool) -> int:
    from pipelines import report
    from pipelines.run import published_line

    print(f"trackerlake run {outcome.run_id[:8]} as of {as_of.isoformat()}")
    if config.work_database.exists():
        print(printable_lines(report.summary(config.work_database, outcome.run_id)))
    for failure in outcome.failures:
        print(f"FAILED {printable(failure)}")
    for check in outcome.failed_checks:
        print(f"check {check.check_name} on {check.asset_key.to_user_string()}: {check.severity.value}")
    if outcome.published:
        print(published_line(outcome, config.warehouse))
        html, digest = report.report_paths(config.warehouse)
        if html.exists():
            print(f"Report: {html} (digest: {digest.name})")
    else:
        blocking = [c.check_name for c in outcome.failed_checks if c.severity.value == "ERROR"]
        why = f" (blocking checks failed: {', '.join(blocking)})" if blocking else ""
        if config.warehouse.exists():
            print(f"Warehouse NOT published; the previous file at {config.warehouse} is unchanged{why}.")
        else:
            print(f"Warehouse NOT published; no warehouse was published yet at {config.warehouse}{why}.")
    if not outcome.success:
        return EXIT_FAILED
    if fail_on_slip and report.slipping_count(config.work_database):
        return EXIT_SLIPPING
    return EXIT_OK


def printable_lines(text: str) -> str:
    """Each line of `text` made printable: the summary quotes names and errors from the trackers."""
    return "\n".join(printable(line) for line in text.splitlines())


def cmd_report(args: argparse.Namespace) -> int:
    import duckdb

    from pipelines import report
    from pipelines.report_data import ReportError

    path = (
        args.warehouse
        or config_module.load(config_module.resolve_path(args.config), check_env=False).warehouse
    )
    if not path.is_file():
        raise UsageError(f"no published warehouse at {path}: run `trackerlake run` first")
    try:
        files = report.write_report(path)
    except (ReportError, duckdb.Error) as exc:  # no marts yet, or not a DuckDB file
        print(f"trackerlake: {path}: {printable(str(exc).splitlines()[0])}", file=sys.stderr)
        return EXIT_FAILED
    print(f"Report: {files.html}\nDigest: {files.digest}")
    return EXIT_OK


def cmd_check_config(args: argparse.Namespace) -> int:
    path = config_module.resolve_path(args.config)
    config = config_module.load(path)
    print(f"{path}: ok ({len(config.sources)} sources: {', '.join(s.name for s in config.sources)})")
    if args.connect:
        from pipelines.ingest import make_connector

        failed = 0
        for source in config.sources:
            try:
                make_connector(source).check()
                print(f"  {source.name}: answers")
            except Exception as exc:  # report every source, then fail
                failed += 1
                print(f"  {source.name}: {printable(str(exc))}")
        return EXIT_FAILED if failed else EXIT_OK
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from pipelines.demo import run_demo

    return run_demo(args.warehouse, scale=args.scale, seed=args.seed)


def cmd_emulate(args: argparse.Namespace) -> int:
    from pipelines.demo import serve

    return serve(
        args.port,
        scale=args.scale,
        seed=args.seed,
        faults=args.faults,
        write_config_to=args.write_config,
        latency=args.latency_ms / 1000,
    )


def cmd_new_tracker(args: argparse.Namespace) -> int:
    from pipelines.scaffold import new_tracker

    return new_tracker(args.name, Path.cwd())


COMMANDS = {
    "run": cmd_run,
    "report": cmd_report,
    "check-config": cmd_check_config,
    "demo": cmd_demo,
    "emulate": cmd_emulate,
    "new-tracker": cmd_new_tracker,
}


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (ConfigError, UsageError) as exc:
        print(f"trackerlake: {printable(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except runlock.RunLocked as exc:
        print(f"trackerlake: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except OSError as exc:  # a directory it cannot create or write (read-only, full, no permission)
        print(f"trackerlake: {printable(str(exc))}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130


def entry() -> None:
    """The `trackerlake` command: `main`, then an exit without the interpreter's teardown.

    Python's teardown frees and collects every object still alive, a million after a run (Dagster
    and its storage, DuckDB, the connectors): 0.4-0.7 s of a 3 s run with nothing new. The command
    has closed every file, connection and directory it opened by then; the exit handlers that
    libraries registered still run (logging's flush, temporary files), then the process ends.
    Freezing the objects out of the final collection instead makes DuckDB's bindings report each of
    theirs as leaked, on stderr.
    """
    code = main()
    atexit._run_exitfuncs()  # CPython's own exit runs these the same way
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":  # `python -m pipelines.cli`, as a profiler runs it: the usual exit
    sys.exit(main())
