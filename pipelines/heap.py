"""Handing the process's free heap back to the system between the run's steps.

A sync leaves ~100 MiB of freed pages (parsed API pages, the writer's batches) that glibc's
malloc keeps for reuse in the arenas of threads that have ended; the model step would then add its
DuckDB cache on top of them, and a process's peak is what the whole run is measured by.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable
from functools import cache


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to hand back this way
        return None


def release_free_memory() -> None:
    """Return the free pages of every malloc arena to the system (glibc's malloc_trim; elsewhere a no-op)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
