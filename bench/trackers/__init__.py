"""Each tracker's part of the bench, found by convention: the module `bench/trackers/<type>.py`.

No other file of bench/ names a tracker: what only a tracker knows sits in its own module here, one
per tracker like its folders in connectors/, emulators/ and tests/ (emulators/ only speaks HTTP, so
this bench knowledge, which reads connectors too, cannot sit there). Such a module provides:

    classify(path, query, model) -> "<scope> <stream>" | None   a request under its mount, counted
    full_read(model, mount) -> {"<scope> <stream>": requests}   the fewest requests of a first sync
    changed_read(model, mount, since) -> {...}                  ... of a sync after changes at/after
                                                                `since` (a later `since`: none)
    item_counts(model) -> {name: count}                         what the tracker holds
    change(model, fraction, seed) -> {scope: edited}            edits through the model's own methods
    bare_loop(source, connector) -> [[requests, bytes], ...]    optional: only for a tracker whose
                                                                streams read through hooks (see
                                                                bench/bare_loop.py)
"""

from __future__ import annotations

import importlib
import math
import random
from collections.abc import Sequence
from types import ModuleType
from typing import TypeVar

T = TypeVar("T")


def module(kind: str) -> ModuleType:
    """The bench module of the tracker of type `kind`: an emulated tracker without one fails here,
    saying what to write, rather than be left out of the bench quietly."""
    try:
        return importlib.import_module(f"bench.trackers.{kind}")
    except ModuleNotFoundError as missing:
        if missing.name != f"bench.trackers.{kind}":
            raise
        raise ModuleNotFoundError(
            f"bench/trackers/ has no {kind}.py: the bench needs what bench/trackers/__init__.py lists from it"
        ) from missing


def pages(items: int, size: int) -> int:
    """Pages of a list of `items` at `size` a page: at least one, to learn the list is empty."""
    return max(1, math.ceil(items / size))


def sample(items: Sequence[T], fraction: float, rng: random.Random) -> list[T]:
    """`fraction` of the items (at least one when there are any), drawn with `rng`."""
    return rng.sample(list(items), max(1, round(len(items) * fraction))) if items else []
