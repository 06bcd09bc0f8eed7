"""No SQL is built from config or data: quotes, semicolons and whole statements in the warehouse
path, the working directory and the values the pipeline writes are text, never SQL.

Each hostile name below broke publishing before (a quote ended the `ATTACH '...'` literal) or ran
its own statement (`ATTACH '{path}'` executed the DROP hidden in the path).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from pipelines import warehouse
from pipelines.demo import EMAIL_ENV, TOKEN_ENV
from tests.reliability.lab import Lab

T0 = datetime(2026, 11, 1, tzinfo=UTC)

HOSTILE = [
    pytest.param("it's", id="single-quote"),
    pytest.param('say "hi"', id="double-quote"),
    pytest.param("a;b", id="semicolon"),
    pytest.param("'; DROP TABLE ops.sync_runs; --", id="drop-after-quote"),
    pytest.param('"; DROP TABLE ops.sync_runs; --', id="drop-after-double-quote"),
    # Closes the ATTACH, drops a table, then opens a second ATTACH for the rest of the old f-string.
    pytest.param("x' AS _publish; DROP TABLE ops.sync_runs; ATTACH 'y", id="statement-in-path"),
]

# What a working database holds after one page of one source, worked out by hand.
TABLES = [("ops", "sync_runs"), ("ops", "sync_state"), ("raw", "github_issues")]


def build_work_database(path: Path, source: str, scope: str) -> duckdb.DuckDBPyConnection:
    """A working database at `path` with one run, one page and its cursor, named by `source`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    warehouse.ensure_ops(con)
    issues = warehouse.ensure_raw_table(con, "github", "issues")
    warehouse.start_run(con, "run-1", source, "github")
    page = warehouse.LandedPage(
        issues, scope, "issues", [("7", T0, warehouse.record_json({"title": source}))], {"cursor": scope}
    )
    warehouse.commit_pages(con, source, [page], T0)
    warehouse.finish_run(con, "run-1", source, requests=1, records=1)
    return con


def tables(path: Path) -> list[tuple[str, str]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT schema_name, table_name FROM duckdb_tables() ORDER BY ALL").fetchall()


@pytest.mark.parametrize("name", HOSTILE)
def test_publishing_treats_every_path_and_name_as_text(tmp_path: Path, name: str) -> None:
    work = tmp_path / f"work {name}" / f"{name}.work.duckdb"
    published = tmp_path / "published" / f"{name}.duckdb"
    con = build_work_database(work, source=name, scope=f"{name}/repo")

    assert warehouse.publish(con, published) == published
    con.close()

    assert tables(published) == TABLES  # nothing dropped in the copy ...
    assert tables(work) == TABLES  # ... nor in the working database it was copied from
    with duckdb.connect(str(published), read_only=True) as copy:
        assert copy.execute("SELECT source, status, records FROM ops.sync_runs").fetchall() == [
            (name, "success", 1)
        ]
        assert copy.execute("SELECT source, scope, data ->> 'title' FROM raw.github_issues").fetchall() == [
            (name, f"{name}/repo", name)
        ]
        assert copy.execute("SELECT state ->> 'cursor' FROM ops.sync_state").fetchone() == (f"{name}/repo",)
    assert sorted(p.name for p in published.parent.iterdir()) == [published.name]  # no copy left over


@pytest.mark.parametrize("name", HOSTILE)
def test_settings_put_back_a_value_holding_quotes(tmp_path: Path, name: str) -> None:
    """temp_directory lies beside the database, so a value read back to restore can hold its path."""
    con = duckdb.connect(str(tmp_path / "s.duckdb"))
    query = "SELECT current_setting('temp_directory')"
    before = con.execute(query).fetchone()
    with warehouse.settings(con, {"temp_directory": str(tmp_path / name)}):
        assert con.execute(query).fetchone() == (str(tmp_path / name),)
    assert con.execute(query).fetchone() == before
    # A name is one quoted identifier: an unknown setting, not a statement.
    with pytest.raises(duckdb.Error, match="threads; DROP"), warehouse.settings(con, {"threads; DROP": "1"}):
        pass


def test_comments_keep_quotes_verbatim(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "c.duckdb"))
    con.execute("CREATE TABLE t (a INTEGER)")
    text = 'it\'s "quoted"; DROP TABLE t; -- \\n'
    con.execute(f"COMMENT ON TABLE t IS {warehouse.sql_literal(text)}")
    assert con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 't'").fetchone() == (text,)
    with pytest.raises(ValueError, match="NUL"):
        warehouse.sql_literal("a\0b")


@pytest.mark.parametrize("stream", ["issues; DROP TABLE raw.x", "Issues", "issues events", ""])
def test_a_raw_table_name_is_checked_before_it_reaches_sql(stream: str) -> None:
    with pytest.raises(ValueError, match="cannot name a raw table"):
        warehouse.raw_table("github", stream)


def test_a_whole_run_publishes_into_paths_holding_quotes_and_sql(tmp_path: Path) -> None:
    """The config's warehouse and work_dir both under a directory named like an injection."""
    hostile = tmp_path / 'it\'s "here"; DROP TABLE ops.sync_runs; --'
    with pytest.MonkeyPatch.context() as env:
        env.setenv(TOKEN_ENV, "quotes-token")
        env.setenv(EMAIL_ENV, "quotes@example.com")
        with Lab(hostile, scale=0.5) as lab:
            outcome = lab.run()
    assert (outcome.success, outcome.published, outcome.failures) == (True, True, [])
    assert lab.warehouse.parent.parent == hostile and lab.work_database.parent.parent == hostile
    with duckdb.connect(str(lab.warehouse), read_only=True) as con:
        runs = con.execute("SELECT source, status FROM ops.sync_runs ORDER BY source").fetchall()
        assert runs == [(name, "success") for name in sorted(s.name for s in lab.config.sources)]
        assert con.execute("SELECT count(*) > 0 FROM marts.work_items").fetchone() == (True,)
