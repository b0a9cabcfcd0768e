"""Redis as the store that several web processes share: small cached values with expiry.

Heroku scales by adding dynos, each its own process; in-process limits would let a person make N times the
allowed lookups and each process would ask Slack on its own. With REDIS_URL set these live in Redis. If Redis
cannot be reached, each piece falls back to the process (with a warning in the log at most once a minute),
so lookups keep working and nothing is let through that the process would refuse.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import redis

from bot.state.memory import MemoryStore
from bot.telemetry.logs import event

logger = logging.getLogger(__name__)
KEY_PREFIX = "credits-bot:"
REDIS_TIMEOUT_SECONDS = 0.5
WARN_EVERY_SECONDS = 60.0


class _Fallback:
    """Says once a minute, not once a request, that Redis is down and the process is standing in."""

    def __init__(self, what: str) -> None:
        self._what = what
        self._last_warning = -WARN_EVERY_SECONDS

    def warn(self, error: Exception) -> None:
        now = time.monotonic()
        if now - self._last_warning >= WARN_EVERY_SECONDS:
            self._last_warning = now
            kind = type(error).__name__
            event(logger, "redis_unavailable", logging.WARNING, stands_in_for=self._what, kind=kind)


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
