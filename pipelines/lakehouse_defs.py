"""The lake's steps (pipelines/lakehouse.py) as Dagster assets: a code location of its own, for a
config with `lakehouse.catalog` set (`dagster definitions validate -m pipelines.lakehouse_defs`;
the config is found as the CLI finds it, `$TRACKERLAKE_CONFIG`, else ./trackerlake.yaml).

    lake/catalog (init) -> lake/landing_<source>, one per source (land) -> lake/gathered (gather)
        -> lake/warehouse (build: the models and the published file) -> lake/marts (publish)

The lake's steps need DuckDB 1.5.5 (the DuckLake, PostgreSQL and httpfs extensions exist for it
only) and the models DuckDB 2, which this process runs. So each lake step is a subprocess on the
lake's Python (`$TRACKERLAKE_LAKEHOUSE_PYTHON`, by default .venv-lakehouse/bin/python), run through
Dagster Pipes: the step reports its asset's materialization, and `land` its source's synced
check, back to Dagster. The build runs in the step's own process, on DuckDB 2. Under Dagster's
multiprocess executor, `run.max_processes` steps at once, the sources land in parallel.
`maintain` is not an asset: it runs between runs (`python -m pipelines.lakehouse maintain`).
"""

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from pipelines import config as config_module
from pipelines import lakehouse
from pipelines.config import Config, ConfigError

LAKE_PYTHON_ENV = "TRACKERLAKE_LAKEHOUSE_PYTHON"
DEFAULT_LAKE_PYTHON = Path(__file__).resolve().parents[1] / ".venv-lakehouse" / "bin" / "python"
CATALOG = dg.AssetKey(["lake", "catalog"])
GATHERED = dg.AssetKey(["lake", "gathered"])
WAREHOUSE = dg.AssetKey(["lake", "warehouse"])
MARTS = dg.AssetKey(["lake", "marts"])
GROUP = "lake"


def landing_key(source: str) -> dg.AssetKey:
    return dg.AssetKey(["lake", f"{lakehouse.LANDING_PREFIX}{source}"])


class LakeSteps(dg.ConfigurableResource):
    """Runs a lake step as a subprocess of the lake's Python, through Dagster Pipes."""

    python: str
    config_path: str

    def run(
        self, context: dg.AssetExecutionContext, step: str, *args: str
    ) -> Iterator[dg.PipesExecutionResult]:
        """The step's reported results. It fails the asset unless it exited 0, or 1 for `land`:
        the source failed, what it committed pushed and its check reported failed."""
        command = [self.python, "-m", "pipelines.lakehouse", step, *args, "--config", self.config_path]
        with dg.open_pipes_session(
            context=context,
            context_injector=dg.PipesTempFileContextInjector(),
            message_reader=dg.PipesTempFileMessageReader(),
        ) as session:
            ended = subprocess.run(
                command,
                env={**os.environ, **session.get_bootstrap_env_vars()},
                capture_output=True,
                text=True,
                check=False,
            )
        for line in ended.stdout.splitlines():
            context.log.info(line)
        error = ended.stderr.strip().splitlines()[-1] if ended.stderr.strip() else ""
        if ended.returncode == 1 and step == "land":
            context.log.warning(error)
        elif ended.returncode != 0:
            # The step's last line says why (one line, secrets redacted); a traceback is logged whole.
            context.log.error(ended.stderr)
            raise dg.Failure(description=f"lakehouse {step} exited {ended.returncode}: {error}")
        yield from session.get_results()


def land_asset(source: str) -> dg.AssetsDefinition:
    key = landing_key(source)

    @dg.asset(
        key=key,
        deps=[CATALOG],
        group_name=GROUP,
        kinds={"ducklake"},
        description=f"Source `{source}` synced into its stage file, then its own schema in the lake.",
        check_specs=[dg.AssetCheckSpec(lakehouse.SYNCED_CHECK, asset=key, description="The sync finished.")],
    )
    def _land(context: dg.AssetExecutionContext, lake_steps: LakeSteps) -> Iterator[dg.PipesExecutionResult]:
        # The run's id goes to ops.sync_runs, so a sync's row names the Dagster run that made it.
        yield from lake_steps.run(context, "land", "--source", source, "--run-id", context.run_id)

    return _land


def step_asset(
    key: dg.AssetKey, step: str, deps: list[dg.AssetKey], kind: str, description: str
) -> dg.AssetsDefinition:
    """An asset that one lake step (with no arguments of its own) materializes."""

    @dg.asset(key=key, deps=deps, group_name=GROUP, kinds={kind}, description=description)
    def _step(context: dg.AssetExecutionContext, lake_steps: LakeSteps) -> Iterator[dg.PipesExecutionResult]:
        yield from lake_steps.run(context, step)

    return _step


@dg.asset(
    key=WAREHOUSE,
    deps=[GATHERED],
    group_name=GROUP,
    kinds={"duckdb"},
    description="The models over the gathered landing, and the published warehouse file (DuckDB 2).",
)
def warehouse_file(lake_steps: LakeSteps) -> dg.MaterializeResult:
    publication = lakehouse.build(config_module.load(lake_steps.config_path, check_env=False))
    return dg.MaterializeResult(metadata={"path": str(publication.path), "written": len(publication.written)})


def build_definitions(config: Config, config_path: Path, python: str) -> dg.Definitions:
    """The lake's assets for `config`, their steps run by `python` (the lake's DuckDB 1.5.5)."""
    if config.lakehouse.catalog == "none":
        raise ConfigError(f"{config_path}: lakehouse.catalog: none, so there is no lake to run")
    sources = [source.name for source in config.sources]
    return dg.Definitions(
        assets=[
            step_asset(CATALOG, "init", [], "ducklake", "The lake's catalog, created once."),
            *map(land_asset, sources),
            step_asset(
                GATHERED,
                "gather",
                list(map(landing_key, sources)),
                "duckdb",
                "Every source's landing from the lake, in one DuckDB file for the models.",
            ),
            warehouse_file,
            step_asset(
                MARTS,
                "publish",
                [WAREHOUSE],
                "ducklake",
                "The published marts, in the lake's `marts` schema.",
            ),
        ],
        resources={"lake_steps": LakeSteps(python=python, config_path=str(config_path))},
        executor=dg.multiprocess_executor.configured({"max_concurrent": config.run.max_processes}),
    )


@dg.definitions
def defs() -> dg.Definitions:
    """The code location Dagster loads."""
    path = config_module.resolve_path().resolve()
    python = os.environ.get(LAKE_PYTHON_ENV, str(DEFAULT_LAKE_PYTHON))
    return build_definitions(config_module.load(path, check_env=False), path, python)
