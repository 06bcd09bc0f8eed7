"""The lake's steps as Dagster assets (pipelines/lakehouse_defs.py), run for real: `dagster asset
materialize` on the pipeline's Python (DuckDB 2) with a Dagster instance of its own, Dagster's
multiprocess executor, each lake step a subprocess on this Python (DuckDB 1.5.5) through Dagster
Pipes, the catalog in the tests' PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pipelines import config as config_module
from pipelines import lakehouse
from pipelines.demo import write_config
from tests.lakehouse.lake import PIPELINE_PYTHON, REPO, Lake, table_prints

CATALOG, GATHERED, WAREHOUSE, MARTS = "lake/catalog", "lake/gathered", "lake/warehouse", "lake/marts"
# The latest materialization's metadata of each asset key given, and every check result of the run.
INSPECT = """
import json, sys
import dagster as dg

instance = dg.DagsterInstance.get()
(run,) = instance.get_runs()
found = {"run_id": run.run_id, "status": run.status.value, "materialized": {}, "checks": {}}
for key in sys.argv[1:]:
    event = instance.get_latest_materialization_event(dg.AssetKey.from_user_string(key))
    metadata = event.asset_materialization.metadata if event else {}
    found["materialized"][key] = {name: value.value for name, value in metadata.items()}
for record in instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records:
    evaluation = record.event_log_entry.dagster_event.event_specific_data
    found["checks"][evaluation.asset_key.to_user_string()] = evaluation.passed
print(json.dumps(found))
"""


def dagster(lake: Lake, home: Path, *args: str) -> subprocess.CompletedProcess:
    """A `dagster` command on the pipeline's Python, the lake's config and this Python for its steps."""
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "TRACKERLAKE_CONFIG": str(lake.path),
        "TRACKERLAKE_LAKEHOUSE_PYTHON": sys.executable,
    }
    ended = subprocess.run(
        [str(PIPELINE_PYTHON), "-m", "dagster", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    for secret in lake.secrets:
        assert secret not in ended.stdout + ended.stderr
    return ended


def materialize(lake: Lake, home: Path, raw: dict) -> dict:
    """`raw` as the lake's config, validated and every asset materialized by Dagster; what the
    run's Dagster instance recorded (INSPECT)."""
    write_config(lake.path, raw)
    home.mkdir()
    (home / "dagster.yaml").write_text("")  # the default instance: runs and events under home
    module = ["-m", "pipelines.lakehouse_defs"]
    validated = dagster(lake, home, "definitions", "validate", *module)
    assert validated.returncode == 0, validated.stderr
    ran = dagster(lake, home, "asset", "materialize", "--select", "*", *module)
    assert ran.returncode == 0, ran.stderr[-5000:]
    keys = [CATALOG, *(f"lake/landing_{s['name']}" for s in raw["sources"]), GATHERED, WAREHOUSE, MARTS]
    inspected = subprocess.run(
        [str(PIPELINE_PYTHON), "-c", INSPECT, *keys],
        env={**os.environ, "DAGSTER_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert inspected.returncode == 0, inspected.stderr
    found = json.loads(inspected.stdout)
    assert found["status"] == "SUCCESS" and set(found["materialized"]) == set(keys)
    return found


def test_dagster_lands_the_sources_in_parallel_processes_then_gathers_builds_and_publishes(
    lake: Lake, tmp_path: Path
) -> None:
    raw = config_module.load(lake.path).model_dump(mode="json", exclude_none=True)
    raw["run"] = {"max_processes": 4}
    sources = [s.name for s in lake.config.sources]
    # Each tracker's first request waits for the others': the land steps must run at once.
    lake.together.arm(len(lake.server.mounts))
    found = materialize(lake, tmp_path / "dagster-home", raw)
    lake.together.disarm()
    materialized = found["materialized"]
    # What each step reported through Pipes, read back from the lake and the files.
    assert found["checks"] == {f"lake/landing_{s}": True for s in sources}
    with lakehouse.opened(lake.config, read_only=True) as con:
        runs = []
        for source in sources:
            schema = f"landing_{source}"
            runs += con.execute(
                f'SELECT run_id, started_at, finished_at FROM lake."{schema}".sync_runs'
            ).fetchall()
            assert materialized[f"lake/{schema}"]["records"] > 0
        lake_marts = table_prints(con, "lake", "marts")
        con.execute(f"ATTACH '{lake.config.warehouse}' AS published (READ_ONLY)")
        published_marts = table_prints(con, "published", "marts")
    # Every sync was the Dagster run's, and they overlapped: each started before the others ended.
    assert {run_id for run_id, _, _ in runs} == {found["run_id"]} and len(runs) == len(sources)
    assert max(start for _, start, _ in runs) < min(end for _, _, end in runs)
    assert len(lake_marts) >= 10 and lake_marts == published_marts
    assert materialized[MARTS]["marts"] == len(lake_marts)
    assert materialized[WAREHOUSE]["path"] == str(lake.config.warehouse)
    assert materialized[GATHERED]["rows"] > materialized[f"lake/landing_{sources[0]}"]["records"]


def test_under_dagster_a_source_whose_tracker_is_down_fails_its_check_and_the_others_reach_the_marts(
    lake: Lake, tmp_path: Path
) -> None:
    raw = config_module.load(lake.path).model_dump(mode="json", exclude_none=True)
    raw["run"] = {"max_processes": 2}
    down, *up = raw["sources"]
    name = down["name"]
    # Nothing listens there: the connection is refused, and no retry waits for it.
    down.update(base_url=f"http://127.0.0.1:9/{down['type']}", max_retries=0)
    found = materialize(lake, tmp_path / "dagster-home", raw)
    assert found["checks"] == {
        f"lake/landing_{name}": False,
        **{f"lake/landing_{source['name']}": True for source in up},
    }
    with lakehouse.opened(lake.config, read_only=True) as con:
        ((status, error),) = con.execute(
            f'SELECT status, error FROM lake."landing_{name}".sync_runs'
        ).fetchall()
        assert status == "failed" and error in found["materialized"][f"lake/landing_{name}"]["error"]
        # The others' news is published all the same.
        assert table_prints(con, "lake", "marts")["work_items"][0] > 0
