"""GitHub's primary rate limit as it shows a budget (emulators/rate_limit.py counts it): the
X-RateLimit-* headers of every answer and the core resource of GET /rate_limit."""

from __future__ import annotations

from emulators.rate_limit import Budget


def budget_headers(budget: Budget) -> list[tuple[str, str]]:
    return [
        ("X-RateLimit-Limit", str(budget.limit)),
        ("X-RateLimit-Remaining", str(budget.remaining)),
        ("X-RateLimit-Reset", str(budget.reset)),
        ("X-RateLimit-Used", str(budget.used)),
        ("X-RateLimit-Resource", "core"),
    ]


def core_resource(budget: Budget) -> dict[str, int]:
    return {"limit": budget.limit, "used": budget.used, "remaining": budget.remaining, "reset": budget.reset}
