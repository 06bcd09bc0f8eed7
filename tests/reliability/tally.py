"""Outcome counts of the hostile-tracker tests, for the line `make reliability` prints at the end.

    from tests.reliability import tally
    tally.add(hostile_answers_tried=1, tokens_off_origin=seen)
    tally.add(sources_failed=1, sources_failed_alone=1)

The counts live in a JSON file, not in memory: a CLI run in a subprocess can add to them too
(it inherits $TALLY_FILE). conftest points the file at the session's basetemp unless $TALLY_FILE is
already set, and prints `summary()` in the terminal summary.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

ENV = "TALLY_FILE"
COUNTERS = (
    "hostile_answers_tried",  # answers a hostile server gave on purpose
    "runs_not_ended",  # exchanges or runs still going when the test gave up waiting
    "tokens_off_origin",  # requests carrying a credential that reached a host other than base_url's
    "sources_failed",  # sources that ended failed
    "sources_failed_alone",  # ... while the other sources and the publish went on
)


def use(path: Path) -> None:
    """Count into `path` unless $TALLY_FILE already names a file (set for subprocesses too)."""
    os.environ.setdefault(ENV, str(path))


def _path() -> Path | None:
    name = os.environ.get(ENV)
    return Path(name) if name else None


def add(**counts: int) -> None:
    """Add to the named counters; a no-op outside a session that called `use` (a lone import)."""
    unknown = set(counts) - set(COUNTERS)
    if unknown:
        raise ValueError(f"unknown tally counters: {sorted(unknown)}")
    path = _path()
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as file:
        fcntl.flock(file, fcntl.LOCK_EX)  # tests and their subprocesses add at the same time
        file.seek(0)
        text = file.read()
        totals = json.loads(text) if text else {}
        for name, count in counts.items():
            totals[name] = totals.get(name, 0) + count
        file.seek(0)
        file.truncate()
        file.write(json.dumps(totals))


def read() -> dict[str, int]:
    """Every counter, zero when nothing added to it."""
    path = _path()
    totals = json.loads(path.read_text() or "{}") if path is not None and path.exists() else {}
    return {name: int(totals.get(name, 0)) for name in COUNTERS}


def summary() -> str | None:
    """The summary line, or None when no test counted anything."""
    counts = read()
    if not any(counts.values()):
        return None
    return (
        f"hostile answers tried: {counts['hostile_answers_tried']}; "
        f"runs that did not end: {counts['runs_not_ended']}; "
        f"tokens sent off-origin: {counts['tokens_off_origin']}; "
        f"sources failed alone: {counts['sources_failed_alone']} of {counts['sources_failed']}"
    )
