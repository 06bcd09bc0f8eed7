"""The models are one Dagster step: a model that fails does not stop those that do not read it, the
ones that read it are not built, and the step's error names each failed model on a line. A model
whose inputs did not change since its last build is kept, not built again."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines import config as config_module
from pipelines import models
from pipelines.defs import models as model_defs
from pipelines.defs.resources import TrackerlakeSettings, WorkDatabase

MODEL = "-- {name}.\n--\n-- columns:\n--   n: A number.\n{sql}\n"


def write_model(folder: Path, name: str, sql: str) -> None:
    (folder / "marts" / f"{name}.sql").write_text(MODEL.format(name=name, sql=sql), encoding="utf-8")


def marts_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqls: dict[str, str]) -> tuple[Path, Path]:
    """The models step reduced to `sqls` (name: query) as marts: their folder and the config file."""
    folder = tmp_path / "models"
    (folder / "marts").mkdir(parents=True)
    for name, sql in sqls.items():
        write_model(folder, name, sql)
    monkeypatch.setenv("T", "token")  # settings.load() checks the source's secret is set
    discover = models.discover
    monkeypatch.setattr(models, "discover", lambda: [m for m in discover(folder) if m.schema == "marts"])
    path = tmp_path / "trackerlake.yaml"
    path.write_text(
        "warehouse: w.duckdb\nsources: [{name: gh, type: github, token_env: T, repos: [a/b]}]\n",
        encoding="utf-8",
    )
    return folder, path


def step(path: Path, raise_on_error: bool = True) -> dg.ExecuteInProcessResult:
    config = config_module.load(path, check_env=False)
    return dg.materialize(
        [model_defs.models_asset(config)],
        resources={
            "settings": TrackerlakeSettings(config_path=str(path), as_of="2026-01-01"),
            "duckdb": WorkDatabase(
                database=str(config.work_database), landing=str(config.landing_directory), sources=["gh"]
            ),
        },
        raise_on_error=raise_on_error,
    )


def test_a_failing_model_fails_alone_and_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sqls = {
        "ok": "SELECT 1 AS n",
        "broken": "SELECT n FROM no_such_table",
        "below": "SELECT n FROM marts.broken",
        "beside": "SELECT n + 1 AS n FROM marts.ok",
    }
    _, path = marts_only(tmp_path, monkeypatch, sqls)
    result = step(path, raise_on_error=False)
    built = {event.asset_key.to_user_string() for event in result.get_asset_materialization_events()}
    assert built == {"marts/ok", "marts/beside"}
    (failure,) = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    message = failure.event_specific_data.error.cause.message
    lines = message.partition(": ")[2].strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("marts/broken: CatalogException: "), lines


def test_a_model_is_kept_until_its_inputs_change_or_its_table_is_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sqls = {
        "a": "SELECT 1 AS n",
        "b": "SELECT n + 1 AS n FROM marts.a",
        "c": "SELECT n * 10 AS n FROM marts.b",
    }
    folder, path = marts_only(tmp_path, monkeypatch, sqls)
    work_database = config_module.load(path, check_env=False).work_database

    def kept() -> dict[str, bool]:
        """Run the models step: whether each model was kept."""
        return {
            event.asset_key.to_user_string(): event.materialization.metadata["kept"].value
            for event in step(path).get_asset_materialization_events()
        }

    # Built in the first step, each table is there as built when the next one starts: all kept.
    assert kept() == {"marts/a": False, "marts/b": False, "marts/c": False}
    assert kept() == {"marts/a": True, "marts/b": True, "marts/c": True}
    # A dropped table is built again; what reads it was built from the same inputs: kept.
    with duckdb.connect(str(work_database)) as con:
        con.execute("DROP TABLE marts.b")
    assert kept() == {"marts/a": True, "marts/b": False, "marts/c": True}
    # A model built in the step gives a new digest to the models after it, built in turn.
    write_model(folder, "a", "SELECT 2 AS n")
    assert kept() == {"marts/a": False, "marts/b": False, "marts/c": False}
    with duckdb.connect(str(work_database), read_only=True) as con:
        assert con.execute("SELECT n FROM marts.c").fetchall() == [(30,)]
    assert kept() == {"marts/a": True, "marts/b": True, "marts/c": True}
