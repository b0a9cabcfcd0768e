"""Coalescing identical calls in flight: concurrent callers with the same key share one call's outcome.

Nothing is cached: the entry for a key is removed as soon as its call finishes, so a caller that arrives
afterwards makes a new call. This is for "two people asked for the same thing at the same moment", not for
serving stale answers. `RedisSingleFlight` does the same across the processes that share REDIS_URL.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any, Generic, TypeVar, cast

import redis

from bot.core.ports import FlightKey
from bot.state.redis_store import KEY_PREFIX, RedisBreaker

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass
class _Flight(Generic[V]):
    done: threading.Event = field(default_factory=threading.Event)
    result: V | None = None
    error: BaseException | None = None


class SingleFlight(Generic[K, V]):
    """`run(key, call)` calls `call` unless a call for `key` is already running, and then waits for that one.

    Every waiter gets the same result object, or the same exception instance raised again, so results
    must be treated as read-only.
    """

    def __init__(self) -> None:
        self._flights: dict[K, _Flight[V]] = {}
        self._lock = threading.Lock()

    def run(self, key: K, call: Callable[[], V]) -> V:
        with self._lock:
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
        if not leader:
            flight.done.wait()
            if flight.error is not None:
                raise flight.error
            return cast(V, flight.result)
        try:
            result = flight.result = call()
        except BaseException as error:
            flight.error = error
            raise
        finally:
            with self._lock:
                del self._flights[key]
            flight.done.set()
        return result

    def in_flight(self) -> int:
        """How many distinct calls are running now."""
        with self._lock:
            return len(self._flights)


RESULT_SECONDS = 2.0


POLL_SECONDS = 0.05


LOCK_SECONDS = 3.0
"""How long a lock lives unless its leader renews it (every RENEW_SECONDS while its call runs). A lock the
bot could not confirm (a `SET NX` that timed out on our side and that Redis applied late) is renewed by
nobody, so it holds the others for LOCK_SECONDS at most."""

RENEW_SECONDS = 1.0


_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

_UNCONFIRMED = object()
_WAITING = object()


class RedisSingleFlight:
    """Identical WHMCS calls in flight share one request across processes, not only within one.

    Within a process callers queue behind one `SingleFlight` call; that call then tries to become the leader
    for the key in Redis (`SET NX` of a random token, expiring after LOCK_SECONDS and renewed while the call
    runs, for `wait_seconds` at most: one WHMCS deadline). The leader asks WHMCS, publishes the decoded reply
    under a key named by its token for RESULT_SECONDS, and releases the lock only if it still holds it (a
    leader that outlived its lock must not release the next leader's). The others read the token, poll for
    that flight's reply and, should the leader fail, its lock lapse, or `wait_seconds` pass, ask WHMCS
    themselves; a reply is never handed to a caller of a later flight, so nothing is served stale. Keys are
    hashed, so Redis never sees which client was asked for; the reply itself (a credit log) stays in Redis
    for those two seconds only. Without Redis (or while the breaker says it is failing), each process asks
    on its own. A `SET NX` whose answer was lost is treated as ours: the call runs, and the reply is published
    and the lock released if Redis answers by then.
    """

    def __init__(self, client: redis.Redis, wait_seconds: float, breaker: RedisBreaker | None = None) -> None:
        self._client = client
        self._wait = wait_seconds
        self._release = client.register_script(_RELEASE)
        self._renew = client.register_script(_RENEW)
        self._local: SingleFlight[FlightKey, object] = SingleFlight()
        self._breaker = breaker or RedisBreaker()

    def run(self, key: FlightKey, call: Callable[[], object]) -> object:
        return self._local.run(key, lambda: self._shared(key, call))

    def _redis(self, command: Callable[[], Any], fallback: Any = None) -> Any:
        return self._breaker.call("lookup coalescing", command, lambda: fallback)

    def _shared(self, key: FlightKey, call: Callable[[], object]) -> object:
        if self._breaker.failing:
            return call()
        name = hashlib.sha256(json.dumps(key).encode()).hexdigest()
        lock, token = f"{KEY_PREFIX}flight:{name}", uuid.uuid4().hex
        life = round(min(LOCK_SECONDS, self._wait) * 1000)
        claimed = self._redis(lambda: self._client.set(lock, token, nx=True, px=life), _UNCONFIRMED)
        if claimed:
            return self._lead(lock, token, name, call)
        leader: Any = self._redis(lambda: self._client.get(lock))
        if leader is None:  # the leader finished between the two commands, or Redis failed
            return call()
        return self._follow(lock, leader.decode(), name, call)

    def _lead(self, lock: str, token: str, name: str, call: Callable[[], object]) -> object:
        done = threading.Event()
        if self._wait > LOCK_SECONDS:
            threading.Thread(target=self._keep, args=(lock, token, done), daemon=True).start()
        try:
            value = call()
        except BaseException:
            done.set()
            self._let_go(lock, token)
            raise
        done.set()
        encoded = json.dumps(value, default=str)
        self._redis(
            lambda: self._client.set(_result_key(name, token), encoded, px=round(RESULT_SECONDS * 1000))
        )
        self._let_go(lock, token)
        return value

    def _keep(self, lock: str, token: str, done: threading.Event) -> None:
        """Renew the lock while the call runs, until `wait_seconds` after it was taken."""
        ends = time.monotonic() + self._wait
        while not done.wait(RENEW_SECONDS):
            left = ends - time.monotonic()
            if left <= 0:
                return
            life = round(min(LOCK_SECONDS, left) * 1000)
            self._redis(partial(self._renew, keys=[lock], args=[token, life]))

    def _follow(self, lock: str, token: str, name: str, call: Callable[[], object]) -> object:
        deadline = time.monotonic() + self._wait
        result = _result_key(name, token)

        def poll() -> Any:
            leading = self._client.get(lock) == token.encode()
            raw: Any = self._client.get(result)  # read second: the leader publishes before letting go
            if raw is not None:
                return json.loads(raw, parse_float=Decimal)
            return _WAITING if leading else None

        while time.monotonic() < deadline:
            outcome = self._redis(poll)
            if outcome is None:
                break
            if outcome is not _WAITING:
                return outcome
            time.sleep(POLL_SECONDS)
        return call()

    def _let_go(self, lock: str, token: str) -> None:
        self._redis(lambda: self._release(keys=[lock], args=[token]))


def _result_key(name: str, token: str) -> str:
    return f"{KEY_PREFIX}result:{name}:{token}"
