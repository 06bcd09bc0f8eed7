"""Model builds run with DuckDB's memory capped; one that cannot fit under a cap gets the next, and
one that fits under none still builds."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from pipelines import models, warehouse
from pipelines.config import Config
from pipelines.defs import models as model_assets

# A list aggregate cannot spill to disk: two million numbers need far more than 4 MB (~32 MB).
# The model also says which cap it was built under.
BIG = """-- One row: how many numbers a list of two million holds, and the memory cap it was built under.
--
-- columns:
--   n: The list's length.
--   cap: DuckDB's memory_limit while it was built.
SELECT len(list(range)) AS n, current_setting('memory_limit') AS cap FROM range(2000000)
"""


def _big(tmp_path: Path) -> models.Model:
    (tmp_path / "marts").mkdir()
    (tmp_path / "marts" / "big.sql").write_text(BIG, encoding="utf-8")
    return next(m for m in models.discover(tmp_path) if m.name == "marts.big")


PARAMS = models.ModelParams.from_config(Config.model_construct(), datetime(2026, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(("caps", "built_under"), [(("4MB", "5MB"), " GiB"), (("4MB", "256MB"), "244.1 MiB")])
def test_a_build_out_of_memory_under_a_cap_is_built_again_under_the_next_then_uncapped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caps: tuple[str, str], built_under: str
) -> None:
    model = _big(tmp_path)
    monkeypatch.setattr(model_assets, "MODEL_MEMORY_CAPS", caps)
    with duckdb.connect(str(tmp_path / "work.duckdb")) as con:
        with pytest.raises(duckdb.OutOfMemoryException), warehouse.settings(con, {"memory_limit": caps[0]}):
            models.build(con, model, PARAMS)  # the first cap alone cannot hold it

        assert model_assets.build_capped(con, model, PARAMS) == 1

        ((n, cap),) = con.execute("SELECT n, cap FROM marts.big").fetchall()
        assert (n, cap.endswith(built_under)) == (2_000_000, True), cap
        # The cap is put back to the connection's limit (as DuckDB reports it: GiB, rounded).
        assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0].endswith(" GiB")
