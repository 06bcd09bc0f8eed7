"""Figures as people read them: rates rounded, shares as percentages, rows as Markdown tables.

Shared by the report, its Markdown digest and the checks' metadata, so a figure reads the same in
all three (0.133, not 0.13333333333333333).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

RATE_DECIMALS = 3


def cell(value: Any) -> str:
    """One value as text: floats to three decimals, instants to the minute (UTC), none as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{round(value, RATE_DECIMALS):g}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def percent(share: float | None) -> str:
    """A share 0..1 as a whole percentage ('67%'); an unknown share as an en dash."""
    return "–" if share is None else f"{share * 100:.0f}%"


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table; a `|` or line break inside a value (a tracker's title) cannot break it."""

    def text(value: Any) -> str:
        return " ".join(cell(value).split()).replace("|", "\\|")

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(text(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
