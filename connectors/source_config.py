"""What every `sources:` entry of trackerlake.yaml shares, and the checks a tracker's own keys reuse.

A tracker's config model (`connectors/<type>/config.py`) subclasses `SourceBase`, adds
`type: Literal["<type>"]`, its scope key (a list checked with `listed_once`) and its own keys, and is
registered as `Tracker.source`; pipelines/config.py builds the `sources:` union from the registry.
A validator raises ValueError with a message that names the value, never a secret: pipelines/config.py
turns it into the one-line `file: sources[i].key: message` error.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Patterns are matched whole (fullmatch): `$` would also accept a trailing newline.
NAME = re.compile(r"[a-z0-9_-]+")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

HOUR, DAY = 3600.0, 86400.0  # seconds
MINUTES_PER_WEEK = 7 * 24 * 60.0
TEN_YEARS = 3650  # days


class Strict(BaseModel):
    """A config section: unknown keys are errors (a typo never passes silently), values frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def number(default: float, *, low: float, high: float, zero: bool = False) -> Any:
    """A finite float from `low` (excluded unless `zero`) to `high`; a boolean is not a number.

    The upper bounds keep every value inside what a socket timeout or a timedelta can hold.
    """
    bound = {"ge": low} if zero else {"gt": low}
    return Field(default, strict=True, allow_inf_nan=False, le=high, **bound)


def count(default: int, *, low: int, high: int) -> Any:
    """An int from `low` to `high`; `true` and `4.0` are refused, not read as 1 and 4."""
    return Field(default, strict=True, ge=low, le=high)


def check_url(value: str) -> str:
    """An http(s) base URL, with nothing a credential or a later path could hide in.

    Never echoed: a URL holding `user:password@` would print the password.
    """
    parsed = urlsplit(value)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ValueError("not an http(s) URL")
    if "@" in parsed.netloc:
        raise ValueError("must not hold a user name or password (credentials come from token_env)")
    if "?" in value or "#" in value:
        raise ValueError("must not have a query or fragment")
    if any(char.isspace() for char in value):
        raise ValueError("must not contain spaces")
    try:
        _ = parsed.port  # raises for a port that is not a number from 0 to 65535
    except ValueError:
        raise ValueError("has an invalid port") from None
    return value.rstrip("/")


def check_env_name(value: str | None) -> str | None:
    """An environment variable's name (a `*_env` key), or None for an optional one left out."""
    if value is not None and not ENV_NAME.fullmatch(value):
        raise ValueError(f"{value!r} is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)")
    return value


def listed_once(values: list[str]) -> list[str]:
    """Each scope (repo, project) once: two threads would sync the same one side by side."""
    repeated = sorted({value for value in values if values.count(value) > 1})
    if repeated:
        raise ValueError(f"{repeated[0]!r} is listed twice")
    return values


class SourceBase(Strict):
    """The keys every tracker's source has; `token_env` names the credential's variable."""

    name: str
    base_url: str
    token_env: str
    timeout_seconds: float = number(60.0, low=0, high=HOUR)
    max_retries: int = count(5, low=0, high=20)
    max_wait_seconds: float = number(900.0, low=0, high=DAY, zero=True)
    # floor for a secondary limit without Retry-After
    secondary_wait_seconds: float = number(60.0, low=0, high=DAY, zero=True)
    overlap_minutes: float = number(10.0, low=0, high=MINUTES_PER_WEEK, zero=True)
    # how often to list every id and mark the missing deleted
    census_days: float = number(7.0, low=0, high=TEN_YEARS)
    # Scopes fetched at once, each by one thread with one request in flight: well within the
    # trackers' concurrency limits (GitHub's secondary limit is 100 concurrent requests).
    concurrency: int = count(4, low=1, high=32)
    # A response body larger than this fails the source instead of filling the memory.
    max_response_mb: float = number(100.0, low=0, high=4096)
    # The source's whole sync, all its requests and waits, fails once it has run this long.
    deadline_minutes: float = number(180.0, low=0, high=MINUTES_PER_WEEK)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME.fullmatch(value):
            raise ValueError(f"{value!r} must match [a-z0-9_-]+")
        return value

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return check_url(value)

    @field_validator("token_env")
    @classmethod
    def _token_env(cls, value: str) -> str:
        return check_env_name(value)
