"""Per-person lookup limits: at most N lookups in a sliding 10-minute window.

A runaway user or script must not hammer WHMCS; an over-limit request is refused before any WHMCS call.
One process counts in memory; several share one count in Redis.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import redis

from bot.state.redis_store import KEY_PREFIX, RedisBreaker

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


_SLIDING_WINDOW = """
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, oldest[2]}
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
return {1, '0'}
"""


class RedisRateLimiter:
    """One sliding window per person for all processes (a sorted set of lookup times, updated atomically)."""

    def __init__(
        self,
        client: redis.Redis,
        limit: int,
        window: float = WINDOW_SECONDS,
        breaker: RedisBreaker | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`clock` is wall time: every process writes its lookup times into one sorted set."""
        self.limit = limit
        self._window = window
        self._clock = clock
        self._script = client.register_script(_SLIDING_WINDOW)
        self._local = SlidingWindowLimiter(limit, window)
        self._breaker = breaker or RedisBreaker()

    def acquire(self, user: str) -> Verdict:
        now = self._clock()

        def shared() -> Verdict:
            allowed, oldest = self._script(
                keys=[f"{KEY_PREFIX}lookups:{user}"],
                args=[now, self._window, self.limit, f"{now}:{uuid.uuid4().hex}"],
            )
            if int(allowed):
                return Verdict(True)
            return Verdict(False, max(0.0, self._window - (now - float(oldest))))

        return self._breaker.call("rate limiting", shared, lambda: self._local.acquire(user))
