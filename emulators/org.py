"""The emulated organisation: one clock shared by every tracker's in-memory model.

Tests move time forward with `org.advance(hours=...)` and then change the model; each change is
stamped with the clock's time, so a later sync sees it as newer than everything generated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any


class Clock:
    """The model's "now": starts at the generator's as_of and only ever moves forward."""

    def __init__(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("the clock needs an aware datetime (UTC)")
        self._now = now.replace(microsecond=0)

    @property
    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        """Move to `when` (to the second, as API timestamps are); never back, or a change could
        appear older than what it follows."""
        if when < self._now:
            raise ValueError(f"the clock cannot go back from {self._now} to {when}")
        self._now = when.replace(microsecond=0)


@dataclass(frozen=True)
class Person:
    """Someone in the organisation: a GitHub login and a display name for trackers that show one."""

    login: str
    name: str
    external: bool = False  # a customer or outside contributor rather than a member


@dataclass
class Org:
    """What the emulators serve: each tracker's in-memory model by its type, on one clock.

    `org.<type>` is that tracker's model (`org.models["<type>"]`).
    """

    models: dict[str, Any]
    clock_source: Clock
    people: tuple[Person, ...] = ()
    seed: int = 0
    scale: float = 1.0
    as_of: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.as_of = self.clock_source.now

    def __getattr__(self, name: str) -> Any:
        # Only called for names that are not attributes: a tracker's type.
        models = self.__dict__.get("models", {})
        if name in models:
            return models[name]
        raise AttributeError(f"the organisation has no {name!r} (trackers: {', '.join(models)})")

    @property
    def clock(self) -> datetime:
        return self.clock_source.now

    def advance(self, **delta: float) -> datetime:
        """Move the clock forward by a timedelta's keywords (`hours=2`, `days=1`); returns the new now."""
        step = timedelta(**delta)
        if step < timedelta(0):
            raise ValueError("the clock only moves forward")
        self.clock_source.set(self.clock_source.now + step)
        return self.clock_source.now
