"""The working database's resource: one connection for a whole run, clean after a failed step."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.defs.resources import WorkDatabase, _checkpoint_capped


def test_a_run_keeps_one_connection_and_a_failed_step_leaves_no_transaction(tmp_path: Path) -> None:
    resource = WorkDatabase(database=str(tmp_path / "work.duckdb"))
    with dg.build_resources({"duckdb": resource}) as run:
        with run.duckdb.get_connection() as con:
            con.execute("CREATE TABLE kept (n INTEGER)")
        with pytest.raises(RuntimeError), run.duckdb.get_connection() as step:
            step.execute("BEGIN TRANSACTION")
            step.execute("INSERT INTO kept VALUES (1)")
            raise RuntimeError("the step failed mid-transaction")
        with run.duckdb.get_connection() as after:
            assert after is con  # the run's one connection, not a new one per step
            after.execute("BEGIN TRANSACTION")  # refused if the failed step's were still open
            assert after.execute("SELECT count(*) FROM kept").fetchone() == (0,)
            after.execute("COMMIT")
    # The run's end closes it: the file opens read-only, which a live writer in this process forbids.
    with duckdb.connect(str(tmp_path / "work.duckdb"), read_only=True) as reader:
        assert reader.execute("SELECT count(*) FROM kept").fetchone() == (0,)


def test_the_closing_checkpoint_folds_the_wal_while_open_and_puts_the_limit_back(tmp_path: Path) -> None:
    """Folded before close, under CLOSING_CHECKPOINT: left to close, the 100k run's WAL of every
    model was checkpointed under the connection's 2 GB limit, the whole run's peak."""
    path = tmp_path / "work.duckdb"
    wal = Path(f"{path}.wal")
    with duckdb.connect(str(path), config={"checkpoint_threshold": "1GB", "memory_limit": "1GiB"}) as con:
        con.execute("CREATE TABLE built (n INTEGER, s VARCHAR)")
        con.execute("INSERT INTO built SELECT range, md5(range::VARCHAR) FROM range(5000)")
        assert wal.stat().st_size > 0
        limit = con.execute("SELECT current_setting('memory_limit')").fetchone()
        _checkpoint_capped(con)
        assert not wal.exists() or wal.stat().st_size == 0
        assert con.execute("SELECT current_setting('memory_limit')").fetchone() == limit
        assert con.execute("SELECT count(*) FROM built").fetchone() == (5000,)


def test_a_connection_that_cannot_checkpoint_still_closes(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "work.duckdb"))
    con.close()
    _checkpoint_capped(con)  # raises nothing: close is left to do what it can


def test_the_free_heap_goes_back_to_the_system(tmp_path: Path) -> None:
    """200 MB freed by a thread stay in its malloc arena (pinned by a later allocation) until
    handed back: the sync's threads leave their freed pages for the model step to add to."""
    code = """
import threading
from pipelines import heap
def rss():
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmRSS"))
held = []
def fetch():
    pages = [bytes(4000) for _ in range(50_000)]
    held.append(bytearray(100))  # allocated last, above the freed pages
    del pages
thread = threading.Thread(target=fetch)
thread.start()
thread.join()
before = rss()
heap.release_free_memory()
print(before, rss())
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    before, after = map(int, out.stdout.split())
    assert before - after > 100_000  # KiB: most of what was freed


class _Cycle:
    """An object in a reference cycle: only the collector frees it."""

    def __init__(self) -> None:
        self.me = self


def test_the_objects_loaded_before_a_run_are_left_out_of_its_collections_and_come_back() -> None:
    import gc
    import weakref

    from pipelines import heap

    before = _Cycle()
    old = weakref.ref(before)
    with heap.loaded_objects_frozen():
        assert gc.get_freeze_count() > 1000  # everything loaded: modules, classes, this test's objects
        new = weakref.ref(_Cycle())
        del before
        gc.collect()
        assert new() is None  # what the run makes and drops is still collected
        assert old() is not None  # what was loaded before is not even looked at
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert old() is None  # and is collected again afterwards, not leaked
