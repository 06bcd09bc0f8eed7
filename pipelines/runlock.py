"""One run at a time per warehouse: a lock file beside the working database.

`fcntl.flock` holds the lock for as long as the holding process lives, so the kernel releases a
killed run's lock and the next run takes it over. The file's text (the holder's PID and start time)
only serves the message a second run prints, and tells a run that takes over whose lock it was.

A run's steps may run in processes of their own (Dagster's multiprocess executor): the lock's text
then also names the run holding it, so a step of that run goes ahead while its run holds the lock,
and a step of any other run is refused.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

# Locks this process holds: a run the CLI started under the lock takes it again through Dagster's
# resource (which also guards runs Dagster launches), and a second flock on the same file from the
# same process would be refused.
# Each with the run it is held for.
_HELD: dict[Path, str | None] = {}


class RunLocked(RuntimeError):
    """Another run holds the warehouse's lock (the CLI exits 4 with this one-line message)."""


def lock_path(work_database: Path) -> Path:
    return work_database.with_name(f"{work_database.name}.lock")


@contextmanager
def hold(work_database: Path, run: str | None = None) -> Iterator[str | None]:
    """Hold the warehouse's run lock for the block, or raise RunLocked at once naming the holder.

    Yields who held it last without releasing it (a run that was killed), or None. Taking it again
    in the process that holds it is a no-op, and so is taking it for `run` while another process
    holds it for the same `run` (the run's own step processes, while the run's process holds it).
    """
    path = lock_path(work_database).absolute()
    if path in _HELD:
        yield None
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            text = handle.read()
            if run is not None and _run(text) == run:
                yield None
                return
            raise RunLocked(
                f"another run is in progress on this warehouse ({_holder(text)}; lock {path})"
            ) from None
        handle.seek(0)
        previous = handle.read()
        handle.truncate(0)
        handle.write(
            json.dumps(
                {"pid": os.getpid(), "started": datetime.now(UTC).isoformat(timespec="seconds"), "run": run}
            )
        )
        handle.flush()
        _HELD[path] = run
        try:
            yield _holder(previous) if previous else None
        finally:
            del _HELD[path]
            handle.truncate(0)  # a clean end leaves no holder to name; closing releases the lock


def held_for(work_database: Path) -> str | None:
    """The run this process holds the warehouse's lock for (its steps' processes go ahead)."""
    return _HELD.get(lock_path(work_database).absolute())


def _run(text: str) -> str | None:
    try:
        return json.loads(text).get("run")
    except (ValueError, AttributeError):
        return None


def _holder(text: str) -> str:
    try:
        holder = json.loads(text)
        return f"PID {int(holder['pid'])}, started {holder['started']}"
    except (ValueError, KeyError, TypeError):
        return "PID not written yet"
