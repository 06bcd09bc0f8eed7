"""A request budget per credential, renewed a window after it opened: what an emulator's rate
limit counts. Each emulator renders a budget in its own tracker's headers and refusals.

Windows run on the wall clock (or an injected one), not the model clock: a client that waits for
the reset its headers announce waits in real seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Budget:
    limit: int
    reset: int  # epoch seconds at which the window ends
    used: int = 0

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)


class RateLimits:
    """Budgets by key (a token, or the anonymous caller); thread-safe."""

    def __init__(self, window_seconds: int = 3600, now: Callable[[], float] = time.time) -> None:
        self.window_seconds = window_seconds
        self._now = now
        self._budgets: dict[str, Budget] = {}
        self._lock = threading.Lock()

    def current(self, key: str, limit: int) -> Budget:
        """The key's budget in the current window (a copy), opening a new window when the last ended."""
        with self._lock:
            return Budget(**vars(self._window(key, limit)))

    def spend(self, key: str, limit: int) -> Budget | None:
        """Count one request; None when the budget is already spent (the request is refused)."""
        with self._lock:
            budget = self._window(key, limit)
            if budget.remaining == 0:
                return None
            budget.used += 1
            return Budget(**vars(budget))

    def _window(self, key: str, limit: int) -> Budget:
        now = self._now()
        budget = self._budgets.get(key)
        if budget is None or now >= budget.reset:
            budget = self._budgets[key] = Budget(limit=limit, reset=int(now) + self.window_seconds)
        return budget
