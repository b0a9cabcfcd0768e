"""Coalescing identical calls in flight: concurrent callers with the same key share one call's outcome.

Nothing is cached: the entry for a key is removed as soon as its call finishes, so a caller that arrives
afterwards makes a new call. This is for "two people asked for the same thing at the same moment", not for
serving stale answers. It is per process: coalescing across processes through Redis (`RedisSingleFlight`,
which published each reply in Redis for 2 s) was dropped in issue 15, because with buttons answered from
the kept lookup (`bot/app/view_cache.py`) it only saved a second WHMCS call when two processes were asked
for one client within the same call, cost every lookup the encoding and copying of its reply (135 ms for
a 50,000-entry log), and put billing data in Redis (`python -m benchmarks.single_flight`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar, cast

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
