"""State that several web processes must share: small cached values and per-person limits.

Heroku scales by adding dynos, each its own process; in-process limits would let a person make N times the
allowed lookups and each process would ask Slack on its own. With REDIS_URL set these live in Redis. If Redis
cannot be reached, each piece falls back to the process (with a warning in the log at most once a minute),
so lookups keep working and nothing is let through that the process would refuse.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, Protocol

import redis

from bot.limits import SlidingWindowLimiter, Verdict

logger = logging.getLogger(__name__)
KEY_PREFIX = "credits-bot:"
REDIS_TIMEOUT_SECONDS = 0.5
WARN_EVERY_SECONDS = 60.0


class Store(Protocol):
    """JSON values with a time to live."""

    def get(self, key: str) -> Any | None: ...

    def put(self, key: str, value: Any, ttl: float) -> None: ...


class MemoryStore:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._values: dict[str, tuple[float, Any]] = {}

    def get(self, key: str) -> Any | None:
        with self._lock:
            expires, value = self._values.get(key, (0.0, None))
            return value if self._clock() < expires else None

    def put(self, key: str, value: Any, ttl: float) -> None:
        with self._lock:
            self._values[key] = (self._clock() + ttl, value)


class _Fallback:
    """Says once a minute, not once a request, that Redis is down and the process is standing in."""

    def __init__(self, what: str) -> None:
        self._what = what
        self._last_warning = -WARN_EVERY_SECONDS

    def warn(self, error: Exception) -> None:
        now = time.monotonic()
        if now - self._last_warning >= WARN_EVERY_SECONDS:
            self._last_warning = now
            logger.warning(
                "redis_unavailable: %s falls back to this process (%s)", self._what, type(error).__name__
            )


class RedisStore:
    """Values shared by every process; on a Redis failure, this process's own memory stands in."""

    def __init__(self, client: redis.Redis) -> None:
        self._client = client
        self._memory = MemoryStore()
        self._fallback = _Fallback("shared cache")

    def get(self, key: str) -> Any | None:
        try:
            raw: Any = self._client.get(KEY_PREFIX + key)
        except redis.RedisError as error:
            self._fallback.warn(error)
            return self._memory.get(key)
        return json.loads(raw) if raw is not None else self._memory.get(key)

    def put(self, key: str, value: Any, ttl: float) -> None:
        self._memory.put(key, value, ttl)
        try:
            self._client.set(KEY_PREFIX + key, json.dumps(value), px=max(1, round(ttl * 1000)))
        except redis.RedisError as error:
            self._fallback.warn(error)


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

    def __init__(self, client: redis.Redis, limit: int, window: float = 600.0) -> None:
        self.limit = limit
        self._window = window
        self._script = client.register_script(_SLIDING_WINDOW)
        self._local = SlidingWindowLimiter(limit, window)
        self._fallback = _Fallback("rate limiting")

    def acquire(self, user: str) -> Verdict:
        now = time.time()
        try:
            allowed, oldest = self._script(
                keys=[f"{KEY_PREFIX}lookups:{user}"],
                args=[now, self._window, self.limit, f"{now}:{uuid.uuid4().hex}"],
            )
        except redis.RedisError as error:
            self._fallback.warn(error)
            return self._local.acquire(user)
        if int(allowed):
            return Verdict(True)
        return Verdict(False, max(0.0, self._window - (now - float(oldest))))


def connect(url: str, *, verify_tls: bool, pool_size: int) -> redis.Redis:
    """A client with short timeouts (the acknowledgement path reads it) and a bounded, blocking pool."""
    options: dict[str, Any] = {
        "max_connections": pool_size,
        "timeout": REDIS_TIMEOUT_SECONDS,
        "socket_timeout": REDIS_TIMEOUT_SECONDS,
        "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
        "health_check_interval": 30,
    }
    if url.startswith("rediss://") and not verify_tls:
        options["ssl_cert_reqs"] = "none"
    pool = redis.BlockingConnectionPool.from_url(url, **options)
    return redis.Redis(connection_pool=pool)
