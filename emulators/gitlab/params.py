"""Query parameters and refusals as GitLab's REST API reads and words them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from emulators.exchange import Request

DEFAULT_PER_PAGE, MAX_PER_PAGE = 20, 100


class ApiError(Exception):
    """A refusal as GitLab words it: status and JSON body."""

    def __init__(self, status: int, payload: dict[str, Any]) -> None:
        super().__init__(str(payload))
        self.status, self.payload = status, payload


def not_found(what: str | None = None) -> ApiError:
    return ApiError(404, {"message": f"404 {what} Not Found"} if what else {"error": "404 Not Found"})


def invalid(name: str, reason: str = "does not have a valid value") -> ApiError:
    return ApiError(400, {"error": f"{name} {reason}"})


def choice(request: Request, name: str, allowed: Sequence[str], default: str) -> str:
    value = request.param(name)
    if value is None or value == "":
        return default
    if value not in allowed:
        raise invalid(name)
    return value


def flag(request: Request, name: str) -> bool:
    value = (request.param(name) or "").lower()
    if value not in ("", "true", "false", "1", "0"):
        raise invalid(name, "is invalid")
    return value in ("true", "1")


def timestamp_param(request: Request, name: str) -> datetime | None:
    value = request.param(name)
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise invalid(name, "is invalid") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def time_bounds(request: Request, prefix: str) -> Callable[[datetime], bool]:
    """`<prefix>_after` and `<prefix>_before`, both inclusive as GitLab documents them."""
    after, before = timestamp_param(request, f"{prefix}_after"), timestamp_param(request, f"{prefix}_before")
    return lambda when: (after is None or when >= after) and (before is None or when <= before)


def page_size(request: Request) -> int:
    try:
        value = int(request.param("per_page") or DEFAULT_PER_PAGE)
    except ValueError:
        raise invalid("per_page", "is invalid") from None
    return DEFAULT_PER_PAGE if value < 1 else min(value, MAX_PER_PAGE)
