"""Redis as the store that several web processes share: small cached values with expiry.

Heroku scales by adding dynos, each its own process; in-process limits would let a person make N times the
allowed lookups and each process would ask Slack on its own. With REDIS_URL set these live in Redis. If Redis
fails (down, or frozen: connections open but nothing answers), each piece falls back to the process, so
lookups keep working and nothing is let through that the process would refuse. A breaker makes the fallback
immediate: after one failed command (at most REDIS_TIMEOUT_SECONDS), no command is sent to Redis for
BREAKER_OPEN_SECONDS, then one command tries it again while the others keep using memory.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis

from bot.state.memory import MemoryStore
from bot.telemetry.logs import event

logger = logging.getLogger(__name__)
KEY_PREFIX = "credits-bot:"
REDIS_TIMEOUT_SECONDS = 0.25
BREAKER_OPEN_SECONDS = 10.0

T = TypeVar("T")


class RedisBreaker:
    """Stands this process's memory in for Redis while Redis is failing, for every user of one client.

    Closed: commands go to Redis. A command that fails opens it: for BREAKER_OPEN_SECONDS every caller gets
    its fallback at once, without a network call. Then one caller probes Redis; until the probe succeeds the
    others still fall back. The log says when it opens (with the kind of failure) and when Redis is back.
    """

    def __init__(
        self, open_seconds: float = BREAKER_OPEN_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._open_seconds = open_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._open_until = -math.inf
        self._failing = False
        self._probing = False

    def call(self, what: str, command: Callable[[], T], fallback: Callable[[], T]) -> T:
        """`command()` against Redis, or `fallback()` when Redis is failing or the command fails."""
        probe = self._may_try()
        if probe is None:
            return fallback()
        try:
            result = command()
        except redis.RedisError as error:
            self._opened(what, error)
            return fallback()
        self._closed()
        return result

    @property
    def failing(self) -> bool:
        """Whether Redis failed lately and is not confirmed back yet (nothing is sent to it meanwhile)."""
        with self._lock:
            return self._failing

    def _may_try(self) -> bool | None:
        """None: fall back without trying. True: this call probes a failing Redis. False: Redis is healthy."""
        with self._lock:
            if not self._failing:
                return False
            if self._probing or self._clock() < self._open_until:
                return None
            self._probing = True
            return True

    def _opened(self, what: str, error: Exception) -> None:
        with self._lock:
            was_failing = self._failing
            self._failing, self._probing = True, False
            self._open_until = self._clock() + self._open_seconds
        if not was_failing:
            event(
                logger,
                "redis_unavailable",
                logging.WARNING,
                stands_in_for=what,
                kind=type(error).__name__,
                retry_in_s=self._open_seconds,
            )

    def _closed(self) -> None:
        with self._lock:
            recovered = self._failing
            self._failing = self._probing = False
        if recovered:
            event(logger, "redis_recovered")


class RedisStore:
    """Values shared by every process; on a Redis failure, this process's own memory stands in."""

    def __init__(self, client: redis.Redis, breaker: RedisBreaker | None = None) -> None:
        self._client = client
        self._memory = MemoryStore()
        self._breaker = breaker or RedisBreaker()

    def get(self, key: str) -> Any | None:
        raw: Any = self._breaker.call(
            "shared cache", lambda: self._client.get(KEY_PREFIX + key), lambda: None
        )
        return json.loads(raw) if raw is not None else self._memory.get(key)

    def put(self, key: str, value: Any, ttl: float) -> None:
        self._memory.put(key, value, ttl)
        encoded = json.dumps(value)
        self._breaker.call(
            "shared cache",
            lambda: self._client.set(KEY_PREFIX + key, encoded, px=max(1, round(ttl * 1000))),
            lambda: None,
        )


def connect(url: str, *, verify_tls: bool, pool_size: int) -> redis.Redis:
    """A client with short timeouts (the acknowledgement path reads it) and a bounded, blocking pool.

    redis-py retries nothing here (a Connection built without `retry` makes one attempt), so one command
    waits at most REDIS_TIMEOUT_SECONDS, and the breaker keeps the next ones from waiting at all.
    """
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
