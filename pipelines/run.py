"""One whole run through Dagster, as `trackerlake run` and `trackerlake demo` do it: its steps one
after another in this process, or each in a process of its own (`run.max_processes`).

A run fails (exit 1) when a step failed or a source did not finish its sync (its `synced` check);
it may still have published: a failed source keeps its last committed data and the models build
from it (see defs/ingest.py). It does not publish when a blocking data-quality check failed.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg

from pipelines import heap, runlock, warehouse
from pipelines.config import Config
from pipelines.definitions import run_job
from pipelines.defs.ingest import SYNCED
from pipelines.defs.models import ModelsFailed
from pipelines.defs.publish import PUBLISHED
from pipelines.defs.resources import RUN_LOCK
from pipelines.landing import SourceFiles

if TYPE_CHECKING:
    from dagster._utils.error import SerializableErrorInfo

# The CLI prints one line per failure (RunOutcome.failures); Dagster's console log would repeat
# each with its traceback.
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
INSTANCE_PREFIX = "dagster-"  # a multiprocess run's Dagster instance, beside the working database
# Its settings: the step processes' own messages ("Executing step ... in subprocess") go to the
# console at this level, whatever the run's config says; and nothing is sent or written elsewhere.
INSTANCE = {"python_logs": {"python_log_level": "CRITICAL"}, "telemetry": {"enabled": False}}


@dataclass
class RunOutcome:
    """What a run did, for the CLI's summary and exit code."""

    run_id: str
    success: bool
    published: bool
    # Tables the publish rewrote and how many it kept as they were (all kept: the file is untouched).
    rewritten: list[str] = field(default_factory=list)
    kept: int = 0
    failures: list[str] = field(default_factory=list)
    failed_checks: list[dg.AssetCheckEvaluation] = field(default_factory=list)


def published_line(outcome: RunOutcome, warehouse: Path) -> str:
    """The CLI's line for a run that published: which tables it rewrote, when it kept some."""
    if not outcome.rewritten:
        return f"Warehouse unchanged: {warehouse} (nothing changed since the last publish)"
    if not outcome.kept:
        return f"Warehouse published: {warehouse}"
    tables = ", ".join(outcome.rewritten)
    return f"Warehouse published: {warehouse} (rewrote {tables}; {outcome.kept} tables as they were)"


def reset_cursors(config: Config, sources: list[str]) -> None:
    """`--full-refresh`: forget the selected sources' cursors, so every stream is read from the
    start. Each in its own landing (moved there first from a working database synced before
    landings, so the move does not bring them back)."""
    landing = SourceFiles(config.landing_directory, config.work_database)
    for source in sources:
        with landing.writer(source) as con:
            if warehouse.table_exists(con, "ops.sync_state"):
                con.execute("DELETE FROM ops.sync_state WHERE source = ?", [source])


def execute(
    config: Config,
    config_path: Path,
    as_of: datetime,
    select: list[str] | None = None,
    full_refresh: bool = False,
) -> RunOutcome:
    """Ingest the selected sources (default all), rebuild every model, run the checks, publish.

    The run's resources take the warehouse's run lock, in every step process, for the run named
    by its RUN_LOCK tag: the caller's when it holds the lock already (`trackerlake run`), so its
    step processes go ahead under it."""
    if full_refresh:
        reset_cursors(config, select or [s.name for s in config.sources])
    job = (str(config_path), as_of.isoformat(), tuple(select or ()))
    held = runlock.held_for(config.work_database)
    tags = {RUN_LOCK: held or uuid.uuid4().hex}
    built = run_job(*job)  # also where step processes rebuild it: a bad run.executor stops here
    assets = [a for a in built.asset_layer.asset_graph.assets_defs if a.is_executable]
    names = {a.op.name: a.key.to_user_string() for a in assets if len(a.keys) == 1}
    if config.run.max_processes == 1 and not config.run.executor:
        # The run's instance is made before the freeze: its storage's modules load with it.
        with dg.DagsterInstance.ephemeral() as instance, heap.loaded_objects_frozen():
            result = built.execute_in_process(
                run_config=QUIET, tags=tags, raise_on_error=False, instance=instance
            )
        return outcome(result, names)
    # Step processes rebuild the job from its arguments, and read and write the run's events in an
    # instance on disk: under the working directory, for the run only. One left there under the
    # lock this process holds was a killed run's.
    config.work_database.parent.mkdir(parents=True, exist_ok=True)
    for leftover in config.work_database.parent.glob(f"{INSTANCE_PREFIX}*") if held else []:
        shutil.rmtree(leftover, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix=INSTANCE_PREFIX, dir=config.work_database.parent) as home:
        instance = dg.DagsterInstance.local_temp(home, overrides=INSTANCE)
        reconstructable = dg.build_reconstructable_job(
            "pipelines.definitions", "run_job", reconstructable_args=job
        )
        with dg.execute_job(reconstructable, instance, run_config=QUIET, tags=tags) as result:
            return outcome(result, names)


def outcome(result: dg.ExecuteInProcessResult | dg.ExecuteJobResult, assets: dict[str, str]) -> RunOutcome:
    """What the run did, from its events; `assets` names the asset of each single-asset step."""
    # A step of one asset is named by it; the models' step names each failed model in its error.
    # A step that failed, or the run's resources (the run lock held elsewhere, say) that did not start.
    errors = [
        (event.step_key or "run", innermost(event.event_specific_data.error))
        for event in result.all_events
        if event.event_type in (dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.RESOURCE_INIT_FAILURE)
    ]
    failures: list[str] = []
    for step, error in errors:
        if error is not None and error.cls_name == "DagsterAssetCheckFailedError":
            continue  # a blocking check that failed is reported with the other checks, below
        if error is not None and error.cls_name == ModelsFailed.__name__:
            # "ModelsFailed: <model>: <cause>" a line: each failed model named like a step of its own.
            failures += error.message.partition(": ")[2].strip().splitlines()
        else:
            failures.append(f"{assets.get(step, step)}: {_first_line(error.message if error else '')}")
    publishes = [
        event.event_specific_data.materialization.metadata
        for event in result.all_events
        if event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION and event.asset_key == PUBLISHED
    ]
    written = str(publishes[0]["written"].value) if publishes else "none"
    checks = [
        event.event_specific_data
        for event in result.all_events
        if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ]
    unsynced = [c for c in checks if c.check_name == SYNCED and not c.passed]
    failures += [
        f"source {c.asset_key.path[-1]}: {_first_line(str(c.metadata['error'].value))}; "
        "its data stays as of its last committed page"
        for c in unsynced
    ]
    return RunOutcome(
        run_id=result.run_id,
        success=result.success and not failures,
        published=bool(publishes),
        rewritten=[] if written == "none" else written.split(", "),
        kept=int(publishes[0]["tables_kept"].value) if publishes else 0,
        failures=failures,
        failed_checks=[c for c in checks if not c.passed and c.check_name != SYNCED],
    )


def innermost(error: SerializableErrorInfo | None) -> SerializableErrorInfo | None:
    """The cause of the cause...: Dagster wraps what a step raised ("Error occurred while executing
    ..."), and what the operator needs is the cause ("Read-only file system")."""
    while error is not None and error.cause is not None:
        error = error.cause
    return error


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else "failed"
