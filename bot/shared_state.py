"""State that several web processes must share: small cached values and per-person limits.

Heroku scales by adding dynos, each its own process; in-process limits would let a person make N times the
allowed lookups and each process would ask Slack on its own. With REDIS_URL set these live in Redis. If Redis
cannot be reached, each piece falls back to the process (with a warning in the log at most once a minute),
so lookups keep working and nothing is let through that the process would refuse.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Protocol

import redis

from bot.limits import WINDOW_SECONDS, SlidingWindowLimiter, Verdict
from bot.logs import event
from bot.single_flight import SingleFlight
from bot.whmcs import FlightKey

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

    def __init__(self, client: redis.Redis, limit: int, window: float = WINDOW_SECONDS) -> None:
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


RESULT_SECONDS = 2.0
POLL_SECONDS = 0.05
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisSingleFlight:
    """Identical WHMCS calls in flight share one request across processes, not only within one.

    Within a process callers queue behind one `SingleFlight` call; that call then tries to become the leader
    for the key in Redis (`SET NX` of a random token, with an expiry). The leader asks WHMCS, publishes the
    decoded reply under a key named by its token for RESULT_SECONDS, and releases the lock only if it still
    holds it (a leader that outlived its lock must not release the next leader's). The others read the
    token, poll for that flight's reply and, should the leader fail or outlast `wait_seconds`, ask WHMCS
    themselves; a reply is never handed to a caller of a later flight, so nothing is served stale. Keys are
    hashed, so Redis never sees which client was asked for; the reply itself (a credit log) stays in Redis
    for those two seconds only. Without Redis, each process asks on its own.
    """

    def __init__(self, client: redis.Redis, wait_seconds: float) -> None:
        self._client = client
        self._wait = wait_seconds
        self._release = client.register_script(_RELEASE)
        self._local: SingleFlight[FlightKey, object] = SingleFlight()
        self._fallback = _Fallback("lookup coalescing")

    def run(self, key: FlightKey, call: Callable[[], object]) -> object:
        return self._local.run(key, lambda: self._shared(key, call))

    def _shared(self, key: FlightKey, call: Callable[[], object]) -> object:
        name = hashlib.sha256(json.dumps(key).encode()).hexdigest()
        lock, token = f"{KEY_PREFIX}flight:{name}", uuid.uuid4().hex
        try:
            if self._client.set(lock, token, nx=True, px=round(self._wait * 1000)):
                return self._lead(lock, token, name, call)
            leader: Any = self._client.get(lock)
        except redis.RedisError as error:
            self._fallback.warn(error)
            return call()
        if leader is None:  # the leader finished between the two commands; its reply is out of reach
            return call()
        return self._follow(lock, leader.decode(), name, call)

    def _lead(self, lock: str, token: str, name: str, call: Callable[[], object]) -> object:
        try:
            value = call()
        except BaseException:
            self._let_go(lock, token)
            raise
        try:
            self._client.set(
                _result_key(name, token), json.dumps(value, default=str), px=round(RESULT_SECONDS * 1000)
            )
        except redis.RedisError as error:
            self._fallback.warn(error)
        self._let_go(lock, token)
        return value

    def _follow(self, lock: str, token: str, name: str, call: Callable[[], object]) -> object:
        deadline = time.monotonic() + self._wait
        result = _result_key(name, token)
        try:
            while time.monotonic() < deadline:
                leading = self._client.get(lock) == token.encode()
                raw: Any = self._client.get(result)  # read second: the leader publishes before letting go
                if raw is not None:
                    return json.loads(raw, parse_float=Decimal)
                if not leading:
                    break
                time.sleep(POLL_SECONDS)
        except redis.RedisError as error:
            self._fallback.warn(error)
        return call()

    def _let_go(self, lock: str, token: str) -> None:
        try:
            self._release(keys=[lock], args=[token])
        except redis.RedisError as error:
            self._fallback.warn(error)


def _result_key(name: str, token: str) -> str:
    return f"{KEY_PREFIX}result:{name}:{token}"
