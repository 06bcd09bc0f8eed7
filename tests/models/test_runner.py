"""The model runner: discovery, order, parameters, unions over present trackers, comments."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from github_builder import AS_OF, CONFIG, GitHubRecords, open_warehouse, params

from pipelines import models

# The marts interface.md promises.
INTERFACE_MARTS = {
    "work_items",
    "work_item_history",
    "pull_requests",
    "milestones",
    "milestone_scope",
    "milestone_due_changes",
    "project_completion",
    "product_outcomes",
    "milestone_burnup",
    "delivery_weekly",
    "portfolio",
}


def test_discover_orders_models_after_their_inputs() -> None:
    found = models.discover()
    position = {model.name: index for index, model in enumerate(found)}
    for model in found:
        for dep in model.deps & position.keys():
            assert position[dep] < position[model.name], (dep, model.name)
    by_name = {model.name: model for model in found}
    assert by_name["staging.github__work_items"].deps == {"raw.github_issues"}
    assert by_name["staging.work_items"].kind == "union"
    assert "staging.github__work_items" in by_name["staging.work_items"].deps
    assert by_name["ops.milestone_due_log"].kind == "snapshot"
    assert by_name["ops.milestone_due_log"].deps == {"staging.milestones"}
    assert by_name["intermediate.milestone_forecast"].kind == "python"
    assert "intermediate.milestone_forecast" in by_name["marts.project_completion"].deps


def test_every_model_describes_itself_and_its_columns() -> None:
    for model in models.discover():
        assert model.description and model.columns, model.name
        assert all(model.columns.values()), model.name
    # a tracker model without a columns block takes the canonical entity's
    by_name = {model.name: model for model in models.discover()}
    assert by_name["staging.github__work_items"].columns == by_name["staging.work_items"].columns


def test_header_continuation_lines_join_the_column_description(tmp_path: Path) -> None:
    (tmp_path / "marts").mkdir()
    (tmp_path / "marts" / "thing.sql").write_text(
        "-- Things.\n-- Second line.\n--\n-- How: not part of it.\n--\n-- columns:\n"
        "--   a: First\n--     continued: still a.\n--   b: Second.\nSELECT 1 AS a, 2 AS b FROM marts.other\n"
    )
    (thing,) = [m for m in models.discover(tmp_path) if m.name == "marts.thing"]
    assert thing.description == "Things. Second line."
    assert thing.columns == {"a": "First continued: still a.", "b": "Second."}
    assert thing.deps == {"marts.other"}


def test_params_from_config_become_variables() -> None:
    con = duckdb.connect()
    naive = models.ModelParams.from_config(CONFIG, datetime(2026, 3, 2, 12))
    assert naive.as_of == AS_OF  # naive means UTC
    models.set_params(con, naive)
    values = con.execute(
        "SELECT getvariable('as_of'), getvariable('bug_labels'), getvariable('status_categories'), "
        "getvariable('baseline_grace_days'), getvariable('forecast_window_weeks')"
    ).fetchone()
    assert values == (AS_OF, ["bug", "defect", "regression"], {}, 1.0, 8)


def test_without_raw_tables_marts_are_empty_with_their_columns(tmp_path: Path) -> None:
    con = open_warehouse(tmp_path / "work.duckdb")
    built = models.build_all(con, params())
    assert not any("__" in name for name in built)  # no tracker configured: no tracker staging tables
    assert built["marts.project_completion"] == 0
    columns = [
        c
        for (c,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = 'work_items' "
            "AND schema_name = 'staging'"
        ).fetchall()
    ]
    assert columns[:3] == ["work_item_id", "source", "source_type"] and "labels" in columns


def test_a_tracker_that_goes_away_leaves_no_stale_rows(tmp_path: Path) -> None:
    con = open_warehouse(tmp_path / "work.duckdb")
    gh = GitHubRecords()
    gh.issue("acme/web", created="2026-01-02")
    gh.land(con)
    assert models.build_all(con, params())["marts.work_items"] == 1
    con.execute("DROP TABLE raw.github_issues")
    built = models.build_all(con, params())
    assert "staging.github__work_items" not in built
    assert built["staging.work_items"] == built["marts.work_items"] == 0


def test_every_marts_table_and_column_has_a_comment(tmp_path: Path) -> None:
    con = open_warehouse(tmp_path / "work.duckdb")
    GitHubRecords().land(con)
    models.build_all(con, params())
    uncommented = con.execute(
        """
        SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts' AND comment IS NULL
        UNION ALL
        SELECT table_name || '.' || column_name FROM duckdb_columns()
        WHERE schema_name IN ('marts', 'staging') AND (comment IS NULL OR comment = '')
        """
    ).fetchall()
    assert uncommented == []
    marts = {
        name
        for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts'"
        ).fetchall()
    }
    assert marts == INTERFACE_MARTS


def test_a_table_that_differs_from_its_columns_block_fails(tmp_path: Path) -> None:
    (tmp_path / "marts").mkdir()
    (tmp_path / "marts" / "odd.sql").write_text(
        "-- Odd.\n--\n-- columns:\n--   a: A.\nSELECT 1 AS a, 2 AS b\n"
    )
    (odd,) = [m for m in models.discover(tmp_path) if m.name == "marts.odd"]
    with pytest.raises(models.ModelError, match=r"not described: \['b'\]"):
        models.build(duckdb.connect(), odd, params())
