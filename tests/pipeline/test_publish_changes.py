"""Publishing writes marts and ops (plus the schemas asked for), rewrites only what changed, and
leaves an unchanged warehouse alone; a file that is not the one last published is written whole."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from pipelines import warehouse


@pytest.fixture
def work(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A working database with one small table in each of raw, marts and ops."""
    (tmp_path / "work").mkdir()
    con = duckdb.connect(str(tmp_path / "work" / "w.duckdb"))
    con.execute(
        """
        CREATE SCHEMA raw; CREATE SCHEMA marts; CREATE SCHEMA ops;
        CREATE TABLE raw.issues AS SELECT range AS id FROM range(5);
        CREATE TABLE marts.items (id BIGINT PRIMARY KEY, title VARCHAR);
        INSERT INTO marts.items VALUES (1, 'a'), (2, 'b');
        COMMENT ON COLUMN marts.items.title IS 'The title.';
        CREATE TABLE ops.runs AS SELECT 'run-1' AS run_id;
        """
    )
    yield con
    con.close()


def tables(path: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(path), read_only=True) as con:
        names = con.execute(
            "SELECT schema_name || '.' || table_name FROM duckdb_tables() ORDER BY 1"
        ).fetchall()
        return {name: con.execute(f"FROM {name} ORDER BY ALL").fetchall() for (name,) in names}


def test_only_what_changed_is_rewritten_and_no_change_leaves_the_file(
    work: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    published = tmp_path / "published" / "w.duckdb"

    first = warehouse.publish_changes(work, published, ("marts", "ops"))
    assert (first.written, first.kept) == (["marts.items", "ops.runs"], [])
    assert tables(published) == {"marts.items": [(1, "a"), (2, "b")], "ops.runs": [("run-1",)]}
    held = duckdb.connect(str(published), read_only=True)  # a BI reader keeps yesterday's file open

    stamp = published.stat()
    again = warehouse.publish_changes(work, published, ("marts", "ops"))
    assert again.unchanged and again.kept == ["marts.items", "ops.runs"]
    assert (published.stat().st_ino, published.stat().st_mtime_ns) == (stamp.st_ino, stamp.st_mtime_ns)

    work.execute("INSERT INTO ops.runs VALUES ('run-2')")
    third = warehouse.publish_changes(work, published, ("marts", "ops", "raw"))
    assert (third.written, third.kept) == (["ops.runs", "raw.issues"], ["marts.items"])
    assert held.execute("FROM ops.runs").fetchall() == [("run-1",)]
    held.close()  # (in one process, DuckDB would hand a new connection the held file's instance)
    assert tables(published) == {
        "marts.items": [(1, "a"), (2, "b")],
        "ops.runs": [("run-1",), ("run-2",)],
        "raw.issues": [(0,), (1,), (2,), (3,), (4,)],
    }
    with duckdb.connect(str(published), read_only=True) as con:  # definition and comments kept
        assert con.execute(
            "SELECT t.sql, c.comment FROM duckdb_columns() c JOIN duckdb_tables() t USING (table_oid) "
            "WHERE column_name = 'title'"
        ).fetchall() == [("CREATE TABLE marts.items(id BIGINT PRIMARY KEY, title VARCHAR);", "The title.")]

    work.execute("COMMENT ON COLUMN marts.items.title IS 'Renamed.'")  # a comment is a change too
    fourth = warehouse.publish_changes(work, published, ("marts", "ops"))
    # raw no longer published: written whole, so its space does not stay in the file
    assert (fourth.written, fourth.kept, fourth.dropped) == (["marts.items", "ops.runs"], [], ["raw.issues"])
    assert list(tables(published)) == ["marts.items", "ops.runs"]


def test_a_file_replaced_by_hand_is_written_whole(work: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    published = tmp_path / "w.duckdb"
    warehouse.publish_changes(work, published, ("marts", "ops"))
    published.unlink()
    with duckdb.connect(str(published)) as other:
        other.execute("CREATE TABLE stray AS SELECT 1")

    done = warehouse.publish_changes(work, published, ("marts", "ops"))

    assert (done.written, done.kept) == (["marts.items", "ops.runs"], [])
    assert list(tables(published)) == ["marts.items", "ops.runs"]


def test_the_copy_runs_under_its_own_memory_cap_and_puts_the_limit_back(
    work: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under the working database's 2 GB limit the copy cached what it read (+150 MiB at 100k
    issues, the run's peak): PUBLISH_DUCKDB caps it. A cap too small for a block shows it applies."""
    work.execute("CREATE TABLE marts.wide AS SELECT range AS n, md5(range::VARCHAR) AS s FROM range(300000)")
    work.execute("SET memory_limit = '1GiB'")  # a value read back as set (1.0 GiB)
    limit = work.execute("SELECT current_setting('memory_limit')").fetchone()
    monkeypatch.setattr(warehouse, "PUBLISH_DUCKDB", {"memory_limit": "1MB"})
    with pytest.raises(duckdb.OutOfMemoryException):
        warehouse.write_copy(work, tmp_path / "capped.duckdb", ["marts.wide"])
    assert work.execute("SELECT current_setting('memory_limit')").fetchone() == limit
    monkeypatch.undo()
    warehouse.write_copy(work, tmp_path / "copied.duckdb", ["marts.wide"])
    assert tables(tmp_path / "copied.duckdb")["marts.wide"][:2] == [(0, md5(0)), (1, md5(1))]


def md5(n: int) -> str:
    return hashlib.md5(str(n).encode()).hexdigest()
