"""A tracker's one registration: everything the rest of trackerlake needs to know about it.

Each tracker folder (`connectors/<type>/`) exports one `TRACKER`; `connectors/__init__.py` lists
them (one line per tracker). Config parsing and its errors, `make_connector`, the checks, the
emulator mounts, the demo organisation and the contract tests are all built from these entries, so
no file outside a tracker's folder names a tracker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import BaseModel

    from connectors.base import Connector


@dataclass(frozen=True)
class Tracker:
    """One tracker type.

    type: the config's `type:`, the raw tables' prefix (`raw.<type>_<stream>`), the staging SQL
        folder (`models/staging/<type>/`).
    connector: the Connector subclass.
    source: the pydantic model of one `sources:` entry (its `type` field a Literal of `type`).
    scope_key: the source key listing its scopes (`repos`, `projects`).
    secret_fields: source keys naming environment variables that hold credentials; the variable of
        `token_env` is passed to `Connector.client_for` as `token=`, `email_env` as `email=`.
    milestone_kinds: the `kind` values its staging SQL gives milestones.
    emulator: dotted path of its emulator package (`emulators.<type>`), imported only by the demo,
        tests and benchmarks; None when the tracker is tested from recorded pages alone.
    """

    type: str
    connector: type[Connector]
    source: type[BaseModel]
    scope_key: str
    secret_fields: tuple[str, ...] = ("token_env",)
    milestone_kinds: tuple[str, ...] = ()
    emulator: str | None = None
