"""The small interfaces the core asks of the outside: a store with expiry, a clock, a key for a call
in flight. The adapters in `bot.state` and `bot.whmcs` implement them; the core never imports those.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class Store(Protocol):
    """JSON values with a time to live."""

    def get(self, key: str) -> Any | None: ...

    def put(self, key: str, value: Any, ttl: float) -> None: ...


Clock = Callable[[], float]
"""Seconds: time.monotonic within a process, time.time where processes compare timestamps (Redis)."""

FlightKey = tuple[str, tuple[tuple[str, str], ...]]


class Flights(Protocol):
    """Coalesces identical calls in flight: in this process (SingleFlight) or across processes (Redis)."""

    def run(self, key: FlightKey, call: Callable[[], object]) -> object: ...
