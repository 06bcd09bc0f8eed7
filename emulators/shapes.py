"""JSON shapes from recorded examples, shared by every emulator's render module.

Each emulator keeps the real answers it imitates under its `templates/` folder and lays its
objects out key by key after them, so a key the real API sends is never forgotten.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

ABSENT = object()  # a value that leaves its key out (an API that omits a key on some objects)


def templates_in(folder: Path) -> Callable[[str], Any]:
    """A cached loader of `folder/<name>.json`."""

    @cache
    def template(name: str) -> Any:
        return json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))

    return template


def shaped(
    example: dict[str, Any], values: dict[str, Any], optional: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """`values` in the example's key order, then the extra keys; every example key is required
    unless `optional`, and an `ABSENT` value is left out."""
    missing = [key for key in example if key not in values and key not in optional]
    if missing:
        raise KeyError(f"no value for the example's keys {missing}")
    ordered = {key: values[key] for key in example if key in values}
    ordered.update(values)
    return {key: value for key, value in ordered.items() if value is not ABSENT}
