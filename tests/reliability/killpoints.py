"""A `trackerlake run` that reaches a named point and waits there to be SIGKILLed by its parent.

    python -m tests.reliability.killpoints TARGET N WHEN MARKER -- run --config FILE ...

The hook lives here, in the test tree, wrapped around a pipeline function when this process
starts; nothing in the pipeline knows of it. On the Nth call of TARGET it touches MARKER (the
parent polls for it) and then, by WHEN:
- before: waits before the call (killed with nothing of it done);
- after: waits once the call returned (killed with it done, before what follows);
- during: goes on with the call (the parent kills after a delay of its choosing, mid-call).
A run that never makes N calls finishes normally.
"""

from __future__ import annotations

import importlib
import itertools
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# name -> (module, function): the points of ingest, modelling and publishing.
TARGETS = {
    "commit": ("pipelines.warehouse", "commit_pages"),  # pages and their cursors, in one transaction
    "census": ("pipelines.ingest", "mark_census"),  # deletions marked after an id census
    "model": ("pipelines.models", "build"),  # one model's table rebuilt
    "copy": ("pipelines.warehouse", "write_copy"),  # the working database copied for publishing
    "swap": ("pipelines.warehouse", "swap_into_place"),  # the copy renamed over the published file
}
WHENS = ("before", "after", "during")


def install(target: str, nth: int, when: str, marker: Path) -> None:
    module_name, name = TARGETS[target]
    module = importlib.import_module(module_name)
    original: Callable[..., Any] = getattr(module, name)
    calls = itertools.count(1)
    lock = threading.Lock()

    def hooked(*args: Any, **kwargs: Any) -> Any:
        with lock:
            reached = next(calls) == nth
        if not reached:
            return original(*args, **kwargs)
        if when == "before":
            _wait_for_the_kill(marker)
        if when == "during":
            marker.touch()
            return original(*args, **kwargs)
        result = original(*args, **kwargs)
        _wait_for_the_kill(marker)
        return result

    setattr(module, name, hooked)


def _wait_for_the_kill(marker: Path) -> None:
    marker.touch()
    while True:
        time.sleep(60)


def main(argv: list[str]) -> int:
    target, nth, when, marker, separator, *command = argv
    if target not in TARGETS or when not in WHENS or separator != "--":
        raise SystemExit(f"usage: {__doc__.splitlines()[2].strip()}")
    install(target, int(nth), when, Path(marker))
    from pipelines.cli import main as trackerlake

    return trackerlake(command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
