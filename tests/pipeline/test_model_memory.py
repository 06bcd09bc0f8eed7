"""Model builds run with DuckDB's memory capped; one that cannot fit under the cap still builds."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from pipelines import models, warehouse
from pipelines.config import Config
from pipelines.defs import models as model_assets

# A list aggregate cannot spill to disk: two million numbers need far more than 4 MB.
BIG = """-- One row: how many numbers a list of two million holds.
--
-- columns:
--   n: The list's length.
SELECT len(list(range)) AS n FROM range(2000000)
"""


def test_a_build_out_of_memory_under_the_cap_is_built_again_uncapped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "marts").mkdir()
    (tmp_path / "marts" / "big.sql").write_text(BIG, encoding="utf-8")
    model = next(m for m in models.discover(tmp_path) if m.name == "marts.big")
    params = models.ModelParams.from_config(Config.model_construct(), datetime(2026, 1, 1, tzinfo=UTC))
    monkeypatch.setattr(model_assets, "MODEL_DUCKDB", {"memory_limit": "4MB"})
    with duckdb.connect(str(tmp_path / "work.duckdb")) as con:
        with pytest.raises(duckdb.OutOfMemoryException), warehouse.settings(con, model_assets.MODEL_DUCKDB):
            models.build(con, model, params)  # the cap alone cannot hold it

        assert model_assets.build_capped(con, model, params) == 1

        assert con.execute("SELECT n FROM marts.big").fetchall() == [(2_000_000,)]
        # The cap is put back to the connection's limit (as DuckDB reports it: GiB, rounded).
        assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0].endswith(" GiB")
