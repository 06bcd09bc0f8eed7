"""What Dagster's UI shows (issue 13): every model's columns with their meanings, the nightly
schedule running unless the config turns it off, and check rows rounded into a readable table."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines import config as config_module
from pipelines import models
from pipelines.config import ConfigError
from pipelines.definitions import build_definitions
from pipelines.defs.checks import RELEASES_CHECK, checks_definition
from pipelines.defs.models import model_key
from pipelines.defs.resources import WorkDatabase
from pipelines.figures import markdown_table

SOURCE = {"name": "gh", "type": "github", "token_env": "GH_TOKEN", "repos": ["acme/web"]}


def definitions(tmp_path: Path, **extra: object) -> dg.Definitions:
    path = tmp_path / "trackerlake.yaml"
    config = config_module.parse({"sources": [SOURCE], **extra}, path)
    return build_definitions(config, path)


def spec_of(defs: dg.Definitions, key: dg.AssetKey) -> dg.AssetSpec:
    """One asset's spec (the models are assets of one step)."""
    (spec,) = [spec for spec in defs.resolve_assets_def(key).specs if spec.key == key]
    return spec


def test_every_model_asset_lists_its_columns_and_their_meanings(tmp_path: Path) -> None:
    defs = definitions(tmp_path)
    discovered = models.discover()
    assert len(discovered) > 30
    for model in discovered:
        spec = spec_of(defs, model_key(model.name))
        schema = spec.metadata["dagster/column_schema"]
        assert [(c.name, c.description) for c in schema.columns] == list(model.columns.items()), model.name
    spec = spec_of(defs, model_key("marts.project_completion"))
    columns = {c.name: c.description for c in spec.metadata["dagster/column_schema"].columns}
    assert columns["carried_over_items"].startswith("Closed or released: scope_items - done_items")


def test_the_nightly_schedule_runs_by_default(tmp_path: Path) -> None:
    schedule = definitions(tmp_path).resolve_schedule_def("nightly")
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING


def test_schedule_enabled_false_stops_it(tmp_path: Path) -> None:
    schedule = definitions(tmp_path, schedule={"enabled": False}).resolve_schedule_def("nightly")
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED


def test_schedule_enabled_must_be_a_boolean(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"schedule\.enabled"):
        definitions(tmp_path, schedule={"enabled": "off"})


def test_check_rows_are_rounded_and_a_title_cannot_break_the_table() -> None:
    table = markdown_table(
        ["name", "rate", "on time"], [("a | b\nc", 0.13333333333333333, True), ("d", None, None)]
    )
    assert table.splitlines() == [
        "| name | rate | on time |",
        "|---|---|---|",
        "| a \\| b c | 0.133 | yes |",
        "| d |  |  |",
    ]


def test_a_failing_check_shows_its_rows_rounded_on_the_check(tmp_path: Path) -> None:
    """The issue's 0.13333333333333333: 2 defects for 15 items, shown as 0.133 in the check's table."""
    path = tmp_path / "work.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA marts")
        con.execute(
            """
            CREATE TABLE marts.product_outcomes AS SELECT 'PAY' AS project, '2026.2' AS name,
                TIMESTAMPTZ '2026-08-13 10:00:00+00' AS released_at, true AS delivered_on_time,
                2 / 15 AS escaped_defect_rate, 'escaped defect rate 0.13 (2 defects for 15 items)' AS outcome_reason,
                'failing' AS outcome_status, true AS outcome_failed_despite_on_time
            """
        )
    result = dg.materialize(
        [checks_definition([RELEASES_CHECK])],
        resources={"duckdb": WorkDatabase(database=str(path))},
        selection=dg.AssetSelection.all_asset_checks(),
        raise_on_error=False,
    )
    (evaluation,) = result.get_asset_check_evaluations()
    assert not evaluation.passed and evaluation.description.endswith("on time. 1 row.")
    assert evaluation.metadata["rows"].value.splitlines()[-1] == (
        "| PAY | 2026.2 | 2026-08-13 | yes | 0.133 | escaped defect rate 0.13 (2 defects for 15 items) |"
    )
