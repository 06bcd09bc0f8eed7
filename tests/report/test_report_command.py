"""`trackerlake report` without a report to make: one line naming the file, and the exit code."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.cli import EXIT_FAILED, EXIT_USAGE, main


def test_no_published_warehouse_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "data" / "trackerlake.duckdb"
    assert main(["report", "--warehouse", str(missing)]) == EXIT_USAGE
    assert (
        capsys.readouterr().err
        == f"trackerlake: no published warehouse at {missing}: run `trackerlake run` first\n"
    )


def test_a_file_that_is_not_duckdb_fails_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "notes.duckdb"
    other.write_text("not a database\n")
    assert main(["report", "--warehouse", str(other)]) == EXIT_FAILED
    err = capsys.readouterr().err
    assert err.startswith(f"trackerlake: {other}: IO Error") and err.count("\n") == 1


def test_a_warehouse_without_marts_says_no_run_built_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    assert main(["report", "--warehouse", str(empty)]) == EXIT_FAILED
    assert "no marts.project_completion: no run has built the models yet" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.duckdb"]  # nothing half-written
