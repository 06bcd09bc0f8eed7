"""The writer's group commit: several pages and their states, one transaction, per raw table."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from pipelines import warehouse

T0 = datetime(2026, 11, 1, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def page(table: str, scope: str, stream: str, records: dict[str, dict], state: dict | None = None):
    rows = [(key, T0, warehouse.record_json(record)) for key, record in records.items()]
    return warehouse.LandedPage(table, scope, stream, rows, state)


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    warehouse.ensure_ops(con)
    return con


def test_pages_of_two_streams_land_with_their_last_states(con: duckdb.DuckDBPyConnection) -> None:
    issues = warehouse.ensure_raw_table(con, "github", "issues")
    events = warehouse.ensure_raw_table(con, "github", "issue_events")
    changed = warehouse.commit_pages(
        con,
        "gh",
        [
            page(issues, "a/b", "issues", {"1": {"id": 1, "title": "old"}}, {"cursor": "c1"}),
            page(events, "a/b", "issue_events", {"9": {"id": 9}}),
            page(issues, "a/b", "issues", {"1": {"id": 1, "title": "new"}, "2": {"id": 2}}, {"cursor": "c2"}),
        ],
        T0,
    )
    assert changed == {"issues": 2, "issue_events": 1}
    rows = con.execute(f"SELECT id, data ->> 'title' FROM {issues} ORDER BY id").fetchall()
    assert rows == [("1", "new"), ("2", None)]  # the last copy of a record read twice wins
    assert warehouse.read_state(con, "gh", "a/b", "issues") == {"cursor": "c2"}
    assert warehouse.read_state(con, "gh", "a/b", "issue_events") is None


def test_an_identical_page_again_changes_nothing(con: duckdb.DuckDBPyConnection) -> None:
    issues = warehouse.ensure_raw_table(con, "github", "issues")
    records = {"1": {"id": 1, "title": "标题"}, "2": {"id": 2, "title": "two"}}
    warehouse.commit_pages(con, "gh", [page(issues, "a/b", "issues", records)], T0)
    later = T0 + timedelta(days=1)
    edited = {**records, "2": {"id": 2, "title": "edited"}}
    assert warehouse.commit_pages(con, "gh", [page(issues, "a/b", "issues", edited)], later) == {"issues": 1}
    rows = con.execute(f"SELECT id, data ->> 'title', synced_at FROM {issues} ORDER BY id").fetchall()
    assert rows == [("1", "标题", T0), ("2", "edited", later)]


def test_a_failing_batch_lands_neither_records_nor_states(con: duckdb.DuckDBPyConnection) -> None:
    issues = warehouse.ensure_raw_table(con, "github", "issues")
    good = page(issues, "a/b", "issues", {"1": {"id": 1}}, {"cursor": "c1"})
    missing = page("raw.github_nowhere", "a/b", "nowhere", {"2": {"id": 2}})
    with pytest.raises(duckdb.Error, match="github_nowhere"):
        warehouse.commit_pages(con, "gh", [good, missing], T0)
    assert con.execute(f"SELECT count(*) FROM {issues}").fetchone() == (0,)
    assert warehouse.read_state(con, "gh", "a/b", "issues") is None


def test_settings_are_put_back_after_a_failure(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "s.duckdb"), config={"threads": 2, "memory_limit": "3GiB"})
    query = "SELECT current_setting('threads'), current_setting('memory_limit')"
    with pytest.raises(RuntimeError), warehouse.settings(con, {"threads": "1", "memory_limit": "128MB"}):
        assert con.execute(query).fetchall() == [(1, "122.0 MiB")]
        raise RuntimeError("the sync failed")
    assert con.execute(query).fetchall() == [(2, "3.0 GiB")]


def test_every_record_lands_with_its_own_text_whatever_characters_it_holds(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """The batch's JSON goes to DuckDB as one text split on chr(30): records whose strings hold that
    very character, newlines, Chinese or emoji still land whole, each under its own id."""
    issues = warehouse.ensure_raw_table(con, "github", "issues")
    records = {
        "1": {"id": 1, "title": "record\x1eseparator", "body": "line\nbreak\ttab"},
        "2": {"id": 2, "user": {"login": "张伟"}, "title": "🚀 ship it"},
        "3": {"id": 3, "title": ""},
    }
    warehouse.commit_pages(con, "gh", [page(issues, "a/b", "issues", records)], T0)
    stored = con.execute(f"SELECT id, data::VARCHAR, updated_at FROM {issues} ORDER BY id").fetchall()
    assert [(key, json.loads(text), at) for key, text, at in stored] == [
        (key, record, T0) for key, record in records.items()
    ]


def test_landing_pages_imports_neither_pyarrow_nor_pandas(tmp_path: Path) -> None:
    """The writer hands DuckDB plain lists and one text: scanning an Arrow table would make DuckDB
    import pandas, and with pyarrow that is ~100 MiB of every run's memory."""
    script = f"""
import sys
from datetime import UTC, datetime
import duckdb
from pipelines import warehouse
con = duckdb.connect({str(tmp_path / "w.duckdb")!r})
warehouse.ensure_ops(con)
table = warehouse.ensure_raw_table(con, "github", "issues")
rows = [(str(n), datetime(2026, 11, 1, tzinfo=UTC), warehouse.record_json({{"id": n}})) for n in range(3)]
page = warehouse.LandedPage(table, "a/b", "issues", rows, {{"cursor": "c"}})
warehouse.commit_pages(con, "gh", [page], datetime(2026, 11, 2, tzinfo=UTC))
warehouse.mark_deleted(con, table, "gh", "a/b", {{"0", "1"}}, datetime(2026, 11, 3, tzinfo=UTC))
print(con.execute(f"SELECT count(*), count(deleted_at) FROM {{table}}").fetchone(), sorted(
    name for name in ("pyarrow", "pandas") if name in sys.modules))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "(3, 1) []"
