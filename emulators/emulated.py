"""One tracker's emulator, as the demo organisation, the server and the demo config use it.

Each emulator package (`emulators/<type>/__init__.py`) exports one record:

    EMULATED = Emulated(
        type="<type>",            # the tracker's config type: served under /<type>, the model is org.<type>
        build=build,              # build(*, seed, scale, as_of, people, clock) -> its in-memory model
        mount=Api,                # mount(model) -> the Mount answering its HTTP API over that model
        source=demo_source,       # source(base_url, model) -> its keys of a demo `sources:` entry
        secrets={"token": "demo-token"},  # a credential it accepts, by role (token, email)
        history_days=0,           # see below
    )

`registered()` finds every emulator package under emulators/ (by type, in package name order):
nothing outside a tracker's folder names it. The connectors' registration names the same package
(`Tracker.emulator`); the contract tests check that the two agree.

The organisation is built on one shared `Clock` (emulators/org.py), which only moves forward:
- `build` is called with the clock at `as_of - history_days`. A story that walks the clock through
  its history (GitHub's, stamping each change with the clock's time) sets `history_days` and may
  move the clock up to as_of, never past it. A story that stamps its history itself builds at
  as_of: `history_days=0`. Stories with the longest history are built first; two that walk the
  clock cannot overlap (the second could not go back: `Clock.set` raises).
- Same seed, same organisation: `build` draws from `random.Random(f"{seed}:<type>...")` of its own,
  so adding a tracker changes no other tracker's data.
- `source(base_url, model)` gets the URL its API is served at (`<server>/<type>`) and returns the
  demo `sources:` entry's keys other than `name`, `type` and the secrets' env names (the demo adds
  those): `base_url` (that URL, or a path under it), its scope key listing every scope of the
  model, and any key the emulator needs (Jira's `deployment`).
- `secrets` maps each credential role the tracker's connector takes (`token`, `email`: its
  `secret_fields` without `_env`) to a value the emulator accepts.
- `faults` (optional) says how the tracker meets a fault plan (emulators/faults.py): the shape of
  its refusals, its issue listing (where a `move` edit lands mid-walk; its mount then has
  `edit_served_issue`) and the changes `churn` may make to its model between runs.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import emulators
from emulators.exchange import Mount
from emulators.org import Clock, Person


class Build(Protocol):
    def __call__(
        self, *, seed: int, scale: float, as_of: datetime, people: tuple[Person, ...], clock: Clock
    ) -> Any: ...


def message_body(message: str) -> Any:
    """An error answer's JSON body, as most REST APIs shape it."""
    return {"message": message}


# change(model, rng, retitle) -> whether it changed anything: one edit, deletion or transfer,
# choosing with `rng` only; `retitle` gives an edited title a numbered mark.
Change = Callable[[Any, random.Random, Callable[[str], str]], bool]


@dataclass(frozen=True)
class Faults:
    """How a tracker meets the fault plan; the defaults fit a tracker with none of its own."""

    error_body: Callable[[str], Any] = message_body  # the JSON body of a refusal with this message
    throttled: str = "Too many requests."  # a 429's message
    throttled_headers: tuple[tuple[str, str], ...] = ()  # a 429's own headers besides Retry-After
    secondary: str | None = None  # the 403 message of a secondary rate limit, where it has one
    listing: str | None = None  # regex of its issue listing's path under the mount (a GET)
    changes: Mapping[str, Change] = field(default_factory=dict)  # by churn kind: edit, delete, transfer


@dataclass(frozen=True)
class Emulated:
    """One tracker's emulator (the module docstring says what each field must do)."""

    type: str
    build: Build
    mount: Callable[[Any], Mount]
    source: Callable[[str, Any], dict[str, Any]]
    secrets: Mapping[str, str]
    history_days: int = 0
    faults: Faults = Faults()


@functools.cache
def registered() -> dict[str, Emulated]:
    """The `EMULATED` record of every package under emulators/, by type, in package name order.

    Found on first use, not at import: each package imports this module for `Emulated`.
    """
    found: dict[str, Emulated] = {}
    for info in sorted(pkgutil.iter_modules(emulators.__path__), key=lambda info: info.name):
        if info.ispkg:
            record = getattr(importlib.import_module(f"emulators.{info.name}"), "EMULATED", None)
            if isinstance(record, Emulated):
                found[record.type] = record
    return found
