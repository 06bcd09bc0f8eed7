"""Landing per source (issue 15): each source's sync writes only its own DuckDB file, in a process
of its own at the same time as the others, and the models read every landing read-only."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import duckdb
import pytest

from emulators.org import Org
from emulators.server import EmulatorServer
from pipelines import config as config_module
from pipelines import ingest, models
from pipelines.landing import SourceFiles
from tests.pipeline.conftest import AS_OF, Harness


def sync_into_landing(config_path: str, directory: str, source: str, started: object) -> None:
    """One source's sync in its own process, into its own landing file."""
    config = config_module.load(config_path)
    started.wait()  # every sync starts together: they would collide on a shared writer
    with SourceFiles(Path(directory)).writer(source) as con:
        ingest.sync_source(con, config.source(source), "run-1")


def test_sources_sync_in_parallel_processes_into_their_own_landing(
    emulated: tuple[Org, EmulatorServer], tmp_path: Path
) -> None:
    harness = Harness(*emulated, tmp_path)
    names = [source.name for source in harness.config.sources]
    assert len(names) >= 2
    landing = SourceFiles(tmp_path / "landing")
    spawn = multiprocessing.get_context("spawn")
    started = spawn.Barrier(len(names))
    syncs = [
        spawn.Process(target=sync_into_landing, args=(str(harness.path), str(landing.directory), n, started))
        for n in names
    ]
    for sync in syncs:
        sync.start()
    for sync in syncs:
        sync.join(timeout=120)
    assert [sync.exitcode for sync in syncs] == [0] * len(names)

    # Each file holds its own source's rows and cursors only.
    landed: dict[str, int] = {}
    for source in harness.config.sources:
        with duckdb.connect(str(landing.path(source.name)), read_only=True) as con:
            raw = [
                t
                for (t,) in con.execute(
                    "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw'"
                ).fetchall()
            ]
            assert raw and all(table.startswith(f"{source.type}_") for table in raw), raw
            assert con.execute("SELECT DISTINCT source FROM ops.sync_state").fetchall() == [(source.name,)]
            landed[source.name] = con.execute(f"SELECT count(*) FROM raw.{source.type}_issues").fetchone()[0]
    assert min(landed.values()) > 0

    # The models read every landing, read-only, and build one warehouse from them.
    with duckdb.connect(str(tmp_path / "work.duckdb")) as con:
        views = landing.attach(con, names)
        assert {f"raw.{s.type}_issues" for s in harness.config.sources} <= set(views)
        params = models.ModelParams.from_config(harness.config, AS_OF)
        models.build_all(con, params)
        by_source = dict(con.execute("SELECT source, count(*) FROM marts.work_items GROUP BY 1").fetchall())
        table = views[0].removeprefix("raw.")
        with pytest.raises(duckdb.Error, match="read-only"):
            con.execute(f"DELETE FROM landing_0.raw.{table}")
    assert set(by_source) == set(names) and all(n > 0 for n in by_source.values())
    # The same marts as `trackerlake run`'s on the same organisation.
    harness.run()
    with duckdb.connect(str(harness.config.work_database), read_only=True) as con:
        shared = dict(con.execute("SELECT source, count(*) FROM marts.work_items GROUP BY 1").fetchall())
    assert by_source == shared


def raw_counts(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], int]:
    """Rows per (raw table, source) of the connection's own database (tables, not views)."""
    counts: dict[tuple[str, str], int] = {}
    for (table,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'raw'"
    ).fetchall():
        for source, rows in con.execute(f"SELECT source, count(*) FROM raw.{table} GROUP BY 1").fetchall():
            counts[(table, source)] = rows
    return counts


def test_a_working_database_synced_before_landings_moves_into_them_once(harness: Harness) -> None:
    """An upgrade: every source synced into the working database itself, as versions before
    landings did. The next run moves each source's rows and cursors into its landing and syncs
    incrementally from them (GitHub: one request per repo and stream, issues since the cursor)."""
    work = harness.config.work_database
    work.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(work)) as con:
        for source in harness.config.sources:
            ingest.sync_source(con, source, "before-landings")
        before = raw_counts(con)
        cursors = con.execute(
            "SELECT source, scope, stream, state FROM ops.sync_state ORDER BY ALL"
        ).fetchall()
    assert {source for _, source in before} == {source.name for source in harness.config.sources}

    harness.server.reset_log()
    harness.run()
    counts = harness.requests_by_stream()
    assert len(counts) == 3 * 4 and max(counts.values()) == 1, counts
    issues = [e for e in harness.github_log() if e["path"].endswith("/issues")]
    assert len(issues) == 3 and all("since" in e["query"] for e in issues)  # from the moved cursors
    landing = SourceFiles(harness.config.landing_directory)
    for source in harness.config.sources:
        with duckdb.connect(str(landing.path(source.name)), read_only=True) as con:
            mine = {key: n for key, n in before.items() if key[1] == source.name}
            assert raw_counts(con) == mine
    with duckdb.connect(str(work), read_only=True) as con:
        assert raw_counts(con) == {}  # the raw tables went: raw.* are the landings' views
        runs = con.execute("SELECT run_id, count(*) FROM ops.sync_runs GROUP BY 1 ORDER BY 1").fetchall()
        after = con.execute("SELECT source, scope, stream FROM ops.sync_state ORDER BY ALL").fetchall()
    sources = len(harness.config.sources)
    assert sorted(n for _, n in runs) == [sources, sources] and ("before-landings", sources) in runs
    assert after == [cursor[:3] for cursor in cursors]
