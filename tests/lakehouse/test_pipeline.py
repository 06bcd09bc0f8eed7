"""The pipeline on DuckLake-on-PostgreSQL, each step a process as it runs in production: the
demo's sources land concurrently, each from its own process, over real HTTP against the emulators;
the models read every source's landing; the marts go to the lake and to the published file
(the `lake` fixture, tests/lakehouse/lake.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

from emulators.faults import FaultPlan
from pipelines import config as config_module
from pipelines import lakehouse
from pipelines.demo import write_config
from tests.lakehouse.lake import PIPELINE_PYTHON, REPO, Lake, table_prints

# A Python with DuckDB 1.1.3, as BI drivers bundle (make test-lakehouse builds one); unset: not tried.
BI_PYTHON = os.environ.get("TRACKERLAKE_BI_PYTHON")
BI_READ = """
import sys, duckdb
with duckdb.connect(sys.argv[1], read_only=True) as con:
    print(duckdb.__version__, con.execute("SELECT count(*) FROM marts.work_items").fetchone()[0])
"""


def test_sources_land_concurrently_each_in_its_own_schema_and_the_marts_reach_lake_and_file(
    lake: Lake,
) -> None:
    lake.run()
    sources = [s.name for s in lake.config.sources]
    assert len(sources) >= 2
    schemas = lake.postgres.query(
        lake.database, "SELECT schema_name FROM ducklake_schema WHERE end_snapshot IS NULL"
    )
    assert sorted(name for (name,) in schemas) == sorted(
        ["main", "marts", *(f"landing_{s}" for s in sources)]
    )
    with lakehouse.opened(lake.config, read_only=True) as con:
        runs = []
        for source in sources:
            schema = f"landing_{source}"
            prints = table_prints(con, "lake", schema)
            raw = [t for t in prints if t not in lakehouse.OPS_TABLES]
            assert raw and all(prints[t][0] > 0 for t in raw)
            # Written by that source only: no other source's row in its schema.
            for table in [*raw, *lakehouse.OPS_TABLES]:
                assert con.execute(f'SELECT DISTINCT source FROM lake."{schema}"."{table}"').fetchall() == [
                    (source,)
                ]
            runs += con.execute(
                f'SELECT started_at, finished_at, status FROM lake."{schema}".sync_runs'
            ).fetchall()
        # The syncs ran at the same time (Together): each started before the others finished.
        assert [status for *_, status in runs] == ["success"] * len(sources)
        assert max(start for start, _, _ in runs) < min(end for _, end, _ in runs)
        lake_marts = table_prints(con, "lake", "marts")
        # The published file (DuckDB 1.1 format) opens in this older DuckDB too.
        con.execute(f"ATTACH '{lake.config.warehouse}' AS published (READ_ONLY)")
        published_marts = table_prints(con, "published", "marts")
    assert len(lake_marts) >= 10 and lake_marts == published_marts
    assert lake_marts["work_items"][0] > 100
    if BI_PYTHON:
        read = subprocess.run(
            [BI_PYTHON, "-c", BI_READ, str(lake.config.warehouse)], capture_output=True, text=True, timeout=60
        )
        assert read.stdout.split() == ["1.1.3", str(lake_marts["work_items"][0])], read.stderr


def test_with_a_duckdb_file_catalog_concurrent_sources_take_turns_at_the_lake(
    lake: Lake, tmp_path: Path
) -> None:
    """One machine, no PostgreSQL: the catalog file admits one process at a time, and a source
    holds it only to push, so sources landing at once wait their turn instead of failing."""
    raw = config_module.load(lake.path).model_dump(mode="json")
    raw["lakehouse"] = {"catalog": "duckdb", "path": str(tmp_path / "one.ducklake")}
    raw["work_dir"] = str(tmp_path / "one-machine")
    lake.path = write_config(tmp_path / "one-machine.yaml", raw)
    lake.config = config_module.load(lake.path)
    lake.step("init")
    lake.land_all()
    lake.step("gather")
    with duckdb.connect(str(lakehouse.gathered_path(lake.config)), read_only=True) as con:
        runs = con.execute("SELECT source, status FROM ops.sync_runs ORDER BY source").fetchall()
    assert runs == sorted((s.name, "success") for s in lake.config.sources)
    assert list((tmp_path / "one-machine" / "lake").rglob("*.parquet"))


def test_the_lake_pipeline_publishes_what_the_embedded_pipeline_publishes(lake: Lake, tmp_path: Path) -> None:
    """Same organisation, same as_of: `trackerlake run` (one DuckDB file, Dagster in-process) and
    the lake's steps give the same marts, row for row."""
    lake.run()
    embedded = config_module.load(lake.path).model_dump(mode="json")
    embedded.pop("lakehouse")
    embedded["warehouse"] = str(tmp_path / "embedded" / "trackerlake.duckdb")
    embedded["work_dir"] = str(tmp_path / "embedded-work")
    path = write_config(tmp_path / "embedded.yaml", embedded)
    ran = subprocess.run(
        [str(PIPELINE_PYTHON), "-m", "pipelines.cli", "run", "--config", str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{lake.config.warehouse}' AS lake_run (READ_ONLY)")
        con.execute(f"ATTACH '{embedded['warehouse']}' AS embedded_run (READ_ONLY)")
        lake_marts = table_prints(con, "lake_run", "marts")
        assert len(lake_marts) >= 10 and lake_marts == table_prints(con, "embedded_run", "marts")


def test_a_quiet_night_rewrites_only_the_run_log_and_a_new_machine_resumes_from_the_lake(lake: Lake) -> None:
    lake.run()
    source = lake.config.sources[0].name

    def table_ids() -> dict[str, str]:
        """Each live table of the source's landing schema and its id (a replaced table gets a new one)."""
        rows = lake.postgres.query(
            lake.database,
            "SELECT t.table_name, t.table_id FROM ducklake_table t JOIN ducklake_schema s USING (schema_id) "
            f"WHERE t.end_snapshot IS NULL AND s.end_snapshot IS NULL AND s.schema_name = 'landing_{source}'",
        )
        return dict(rows)

    before = table_ids()
    lake.server.reset_log()
    lake.step("land", "--source", source)
    quiet = len(lake.server.request_log)
    after = table_ids()
    # Nothing changed at the tracker: the raw tables are left as they were; the run log has one
    # more row, and is the one table written besides the cursors (their times move).
    assert after.keys() == before.keys() and len(after) > len(lakehouse.OPS_TABLES)
    replaced = {table for table in after if after[table] != before[table]}
    assert "sync_runs" in replaced and replaced <= set(lakehouse.OPS_TABLES)

    # Another machine: no stage file. It starts from the lake's copy, so its sync is as
    # incremental as the quiet night's, not a first full read.
    lakehouse.stage_path(lake.config, source).unlink()
    lake.server.reset_log()
    lake.step("land", "--source", source)
    assert 0 < len(lake.server.request_log) == quiet


def test_a_source_whose_tracker_is_down_exits_1_and_its_landing_records_why(
    lake: Lake, tmp_path: Path
) -> None:
    raw = config_module.load(lake.path).model_dump(mode="json")
    down = raw["sources"][0]
    # Nothing listens there: the connection is refused, and no retry waits for it.
    down.update(base_url=f"http://127.0.0.1:9/{down['type']}", max_retries=0)
    path = write_config(tmp_path / "down.yaml", raw)
    ended = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipelines.lakehouse",
            "land",
            "--source",
            down["name"],
            "--config",
            str(path),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ended.returncode == 1
    assert ended.stderr.startswith(f"lakehouse: source {down['name']}: ")
    assert ended.stderr.endswith("; its landing is pushed as of its last committed page\n")
    with lakehouse.opened(lake.config, read_only=True) as con:
        ((status, error),) = con.execute(
            f'SELECT status, error FROM lake."landing_{down["name"]}".sync_runs'
        ).fetchall()
    assert status == "failed" and error in ended.stderr


def test_a_night_with_edits_rewrites_only_the_edited_records_and_the_lake_matches_the_stage(
    lake: Lake,
) -> None:
    def raw_prints() -> dict[tuple[str, str], tuple]:
        """Every raw table of every landing schema: table id in the catalog, and its rows (JSON included)."""
        ids = dict(
            ((schema, table), table_id)
            for schema, table, table_id in lake.postgres.query(
                lake.database,
                "SELECT s.schema_name, t.table_name, t.table_id FROM ducklake_table t JOIN ducklake_schema s "
                "USING (schema_id) WHERE t.end_snapshot IS NULL AND s.end_snapshot IS NULL",
            )
        )
        with lakehouse.opened(lake.config, read_only=True) as con:
            prints = {}
            for source in lake.config.sources:
                schema = f"landing_{source.name}"
                for table, rows in table_prints(con, "lake", schema).items():
                    if table not in lakehouse.OPS_TABLES:
                        prints[schema, table] = (ids[schema, table], rows)
            return prints

    lake.land_all()
    before = raw_prints()
    FaultPlan.parse("edit:30,seed=5").churn(lake.org)
    lake.land_all()
    after = raw_prints()
    assert after.keys() == before.keys()
    # Updated in place (same table ids), and the edits reached some of them.
    assert {key: table_id for key, (table_id, _) in after.items()} == {
        key: table_id for key, (table_id, _) in before.items()
    }
    assert any(after[key][1] != before[key][1] for key in after)
    # Row for row what each source's stage file holds.
    with lakehouse.opened(lake.config, read_only=True) as con:
        for source in lake.config.sources:
            stage = lakehouse.stage_path(lake.config, source.name)
            con.execute(f"ATTACH '{stage}' AS stage (READ_ONLY)")
            staged = table_prints(con, "stage", "raw")
            con.execute("DETACH stage")
            landed = {
                table: rows
                for (schema, table), (_, rows) in after.items()
                if schema == f"landing_{source.name}"
            }
            assert staged == landed


def test_maintain_expires_old_snapshots_and_deletes_the_files_only_they_used(lake: Lake) -> None:
    lake.land_all()
    FaultPlan.parse("edit:30,seed=5").churn(lake.org)
    lake.land_all()
    with lakehouse.opened(lake.config) as con:
        # A table replaced, then dropped: files no live snapshot needs.
        for _ in range(2):
            con.execute("CREATE OR REPLACE TABLE lake.main.scratch AS SELECT range AS n FROM range(5000)")
        con.execute("DROP TABLE lake.main.scratch")
    scratch = {
        Path(path).name
        for (path,) in lake.postgres.query(
            lake.database,
            "SELECT f.path FROM ducklake_data_file f JOIN ducklake_table t USING (table_id) "
            "WHERE t.table_name = 'scratch'",
        )
    }

    def state() -> tuple[int, set[str], int, dict[str, dict]]:
        """Snapshots, Parquet files on disk, files the catalog lists, and every landing table's rows."""
        ((snapshots, listed),) = lake.postgres.query(
            lake.database,
            "SELECT (SELECT count(*) FROM ducklake_snapshot), "
            "(SELECT count(*) FROM ducklake_data_file) + (SELECT count(*) FROM ducklake_delete_file)",
        )
        files = {p.name for p in Path(lake.config.lakehouse.data_path).rglob("*.parquet")}
        with lakehouse.opened(lake.config, read_only=True) as con:
            rows = {s.name: table_prints(con, "lake", f"landing_{s.name}") for s in lake.config.sources}
        return int(snapshots), files, int(listed), rows

    snapshots, files, _, rows = state()
    lake.step("maintain", "--keep-days", "0")
    after_snapshots, after_files, listed, after_rows = state()
    assert snapshots > 3 and after_snapshots == 1
    # The scratch table's files are gone; what is on disk is what the one snapshot left uses.
    assert len(scratch) == 2 and scratch <= files and not scratch & after_files
    assert len(after_files) == listed
    assert after_rows == rows
