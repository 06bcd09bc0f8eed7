"""Dagster entry point (`workspace.yaml` loads this module): the trackerlake pipeline as assets.

The assets come from the config: one ingest asset per source, one asset per model (built in one step), the publish
step, the report, the checks and the nightly schedule (running unless `schedule.enabled: false`).
Importing this module builds nothing: Dagster calls `defs` when it loads the code location, and
only then is the config file read, found as the CLI finds it (`$TRACKERLAKE_CONFIG`, else
./trackerlake.yaml). Secrets are only read when a run starts.
The CLI builds its own job from the config it was given (`run_job`).

How the steps run comes from the config too (`run.max_processes`): one after another in
the run's process, or each in a process of its own, the syncs at the same time (each writes only
its source's landing). `run.executor` names another Dagster executor (k8s, celery) for the same
definitions; its settings and the run launcher are the deployment's (docs/scaling.md).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from pipelines import config as config_module
from pipelines.config import Config, ConfigError
from pipelines.defs.checks import asset_checks
from pipelines.defs.ingest import ingest_assets, ingest_key
from pipelines.defs.models import models_asset
from pipelines.defs.publish import publish_asset
from pipelines.defs.report import report_asset
from pipelines.defs.resources import Landings, TrackerlakeSettings, WorkDatabase

ALL_ASSETS = dg.AssetSelection.all()
RUN_JOB = "trackerlake_run"  # the job `trackerlake run` executes

# Ingest commits a transaction per page: DuckDB's default threshold would checkpoint every few
# pages (10x the cost of the commit). A bounded memory limit keeps the model rebuild from letting
# DuckDB's cache grow to 80% of the machine.
WORK_DATABASE_SETTINGS = {"checkpoint_threshold": "1GB", "memory_limit": "2GB"}
# What the fork server imports once for every step process: the pipeline, and the run instance's
# SQLite storage (SQLAlchemy, Alembic: ~490 modules), which each step process otherwise imports
# anew when it opens the instance (0.3-0.4 s a step, ~2.5 s of a run with nothing new).
PRELOADED = ["pipelines.definitions", "dagster._core.storage.sqlite_storage"]


@dataclass(frozen=True)
class Pipeline:
    """The pieces both Dagster (via `defs`) and the CLI (in-process runs) execute."""

    assets: list[dg.AssetsDefinition]
    checks: list[dg.AssetChecksDefinition]
    resources: dict[str, dg.ConfigurableResource]


def build_pipeline(config: Config, config_path: Path, as_of: str | None = None) -> Pipeline:
    built = models_asset(config)
    marts = sorted((key for key in built.keys if key.path[0] == "marts"), key=lambda k: k.to_user_string())
    return Pipeline(
        assets=[*ingest_assets(config), built, publish_asset(marts), report_asset()],
        checks=asset_checks(),
        resources={
            "settings": TrackerlakeSettings(config_path=str(config_path), as_of=as_of),
            "landings": Landings(
                directory=str(config.landing_directory), work_database=str(config.work_database)
            ),
            "duckdb": WorkDatabase(
                database=str(config.work_database),
                connection_config=WORK_DATABASE_SETTINGS,
                landing=str(config.landing_directory),
                sources=[source.name for source in config.sources],
            ),
        },
    )


def executor(config: Config, config_path: Path) -> dg.ExecutorDefinition:
    """`run.executor` when named (k8s, celery: configured by the run's config). Else
    `run.max_processes` 1: every step in the run's own process, one after another (no process to
    start per step: the fastest run when little changed, and the least memory). More: up to that
    many steps at once, each in a process of its own started from a server that imported the
    pipeline once (forkserver), so a step starts without importing Dagster again."""
    if config.run.executor:
        module, _, name = config.run.executor.partition(":")
        try:
            named = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"{config_path}: run.executor: {config.run.executor}: {exc}") from None
        if not isinstance(named, dg.ExecutorDefinition):
            raise ConfigError(f"{config_path}: run.executor: {config.run.executor} is not a Dagster executor")
        return named
    if config.run.max_processes == 1:
        return dg.in_process_executor
    return dg.multiprocess_executor.configured(
        {
            "max_concurrent": config.run.max_processes,
            "start_method": {"forkserver": {"preload_modules": PRELOADED}},
        }
    )


def run_job(config_path: str, as_of: str, select: tuple[str, ...] = ()) -> dg.JobDefinition:
    """The job of one `trackerlake run`: the selected sources' syncs (default all) and everything
    downstream of them. Built from its arguments alone, so each step process of a multiprocess run
    rebuilds it (`dg.build_reconstructable_job`)."""
    path = Path(config_path)
    config = config_module.load(path)
    selection = ALL_ASSETS
    if select:
        keys = [ingest_key(name) for name in select]
        selection = dg.AssetSelection.assets(*keys) | dg.AssetSelection.assets(*keys).downstream()
    pipeline = build_pipeline(config, path, as_of)
    return dg.Definitions(
        assets=pipeline.assets,
        asset_checks=pipeline.checks,
        resources=pipeline.resources,
        jobs=[dg.define_asset_job(RUN_JOB, selection=selection)],
        executor=executor(config, path),
    ).resolve_job_def(RUN_JOB)


def build_definitions(config: Config, config_path: Path, as_of: str | None = None) -> dg.Definitions:
    pipeline = build_pipeline(config, config_path, as_of)
    nightly = dg.ScheduleDefinition(
        name="nightly",
        target=ALL_ASSETS,
        cron_schedule=config.schedule.cron,
        execution_timezone=config.schedule.timezone,
        description="Sync every source, rebuild the models, run the checks, publish the warehouse and its report.",
        # Running as soon as the code location loads: a nightly schedule someone must first toggle
        # on in the UI is one that does not run. `schedule.enabled: false` turns it off.
        default_status=dg.DefaultScheduleStatus.RUNNING
        if config.schedule.enabled
        else dg.DefaultScheduleStatus.STOPPED,
    )
    return dg.Definitions(
        assets=pipeline.assets,
        asset_checks=pipeline.checks,
        schedules=[nightly],
        resources=pipeline.resources,
        executor=executor(config, config_path),
    )


@dg.definitions
def defs() -> dg.Definitions:
    """The code location Dagster loads, from the config file named by the environment or cwd."""
    path = config_module.resolve_path().resolve()
    return build_definitions(config_module.load(path, check_env=False), path)
