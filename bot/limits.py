"""Per-person lookup limits: at most N lookups in a sliding 10-minute window.

A runaway user or script must not hammer WHMCS; an over-limit request is refused before any WHMCS call.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

WINDOW_SECONDS = 600.0


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    retry_after: float = 0.0


class RateLimiter(Protocol):
    limit: int

    def acquire(self, user: str) -> Verdict: ...


class SlidingWindowLimiter:
    """In one process: the times of each person's recent lookups."""

    def __init__(
        self, limit: int, window: float = WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic
    ):
        self.limit = limit
        self._window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._recent: dict[str, deque[float]] = {}

    def acquire(self, user: str) -> Verdict:
        now = self._clock()
        with self._lock:
            recent = self._recent.setdefault(user, deque())
            while recent and now - recent[0] >= self._window:
                recent.popleft()
            if len(recent) >= self.limit:
                return Verdict(False, self._window - (now - recent[0]))
            recent.append(now)
            return Verdict(True)


def over_limit_text(limit: int, retry_after: float) -> str:
    if retry_after < 60:
        wait = f"{max(1, math.ceil(retry_after))} seconds"
    else:
        minutes = math.ceil(retry_after / 60)
        wait = f"{minutes} minute" + ("s" if minutes != 1 else "")
    return f"You've made {limit} lookups in 10 minutes; try again in {wait}."
