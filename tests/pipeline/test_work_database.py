"""The working database's resource: one connection for a whole run, clean after a failed step."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.defs.resources import WorkDatabase


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
