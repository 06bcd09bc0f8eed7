"""The models are one Dagster step: a model that fails does not stop those that do not read it, the
ones that read it are not built, and the step's error names each failed model on a line."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from pipelines import config as config_module
from pipelines import models
from pipelines.defs import models as model_defs
from pipelines.defs.resources import TrackerlakeSettings, WorkDatabase

MODEL = "-- {name}.\n--\n-- columns:\n--   n: A number.\n{sql}\n"


def test_a_failing_model_fails_alone_and_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "models"
    (folder / "marts").mkdir(parents=True)
    sqls = {
        "ok": "SELECT 1 AS n",
        "broken": "SELECT n FROM no_such_table",
        "below": "SELECT n FROM marts.broken",
        "beside": "SELECT n + 1 AS n FROM marts.ok",
    }
    for name, sql in sqls.items():
        (folder / "marts" / f"{name}.sql").write_text(MODEL.format(name=name, sql=sql), encoding="utf-8")
    monkeypatch.setenv("T", "token")  # settings.load() checks the source's secret is set
    discover = models.discover
    monkeypatch.setattr(models, "discover", lambda: [m for m in discover(folder) if m.schema == "marts"])
    path = tmp_path / "trackerlake.yaml"
    path.write_text(
        "warehouse: w.duckdb\nsources: [{name: gh, type: github, token_env: T, repos: [a/b]}]\n",
        encoding="utf-8",
    )
    config = config_module.load(path, check_env=False)
    result = dg.materialize(
        [model_defs.models_asset(config)],
        resources={
            "settings": TrackerlakeSettings(config_path=str(path), as_of="2026-01-01"),
            "duckdb": WorkDatabase(
                database=str(config.work_database), landing=str(config.landing_directory), sources=["gh"]
            ),
        },
        raise_on_error=False,
    )
    built = {event.asset_key.to_user_string() for event in result.get_asset_materialization_events()}
    assert built == {"marts/ok", "marts/beside"}
    (failure,) = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    message = failure.event_specific_data.error.cause.message
    lines = message.partition(": ")[2].strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("marts/broken: CatalogException: "), lines
