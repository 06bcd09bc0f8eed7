"""The report's charts, each drawn once for its rows: a run whose marts did not change draws none.

Drawing is most of a report's cost (matplotlib takes a second to import, a chart ~50 ms to draw),
and a chart depends only on its rows and on charts.py. So a run keeps each chart it drew under a
digest of those, in a JSON file beside the working database, and the next report takes the charts
whose digest it finds there instead of drawing them again: a no-change run's report still says when
each source last synced, without importing matplotlib. Without a file (`trackerlake report`) every
chart is drawn.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

from pipelines.report_data import Row

# The drawing code is part of each digest: a change to it draws every chart again.
CHARTS_SOURCE = Path(__file__).with_name("charts.py")


class ChartStore:
    """Charts by digest of their kind, rows and drawing code; `save` keeps the ones this report used."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._kept: dict[str, str] = _read(path) if path is not None else {}
        self._used: dict[str, str] = {}
        self._code = hashlib.sha256(CHARTS_SOURCE.read_bytes()).hexdigest()
        self.drawn = 0

    def burnup(self, days: Sequence[Row], milestone: Row) -> str:
        return self._chart("burnup", days, milestone)

    def weekly(self, weeks: Sequence[Row]) -> str:
        return self._chart("weekly", weeks)

    def _chart(self, kind: str, *rows: object) -> str:
        # repr of the rows (dates, decimals, floats and text) is the same for the same values.
        key = hashlib.sha256(repr((self._code, kind, rows)).encode()).hexdigest()
        svg = self._kept.get(key)
        if svg is None:
            from pipelines import charts  # matplotlib: only when a chart has to be drawn

            svg = getattr(charts, kind)(*rows)
            self.drawn += 1
        self._used[key] = svg
        return svg

    def save(self) -> None:
        """Keep this report's charts (only those: a chart no longer shown is dropped), atomically."""
        if self.path is None or self._used == self._kept:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)  # a report before any run
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        tmp.write_text(json.dumps(self._used), encoding="utf-8")
        os.replace(tmp, self.path)


def _read(path: Path) -> dict[str, str]:
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # none yet, or unreadable: every chart is drawn
    return kept if isinstance(kept, dict) else {}
