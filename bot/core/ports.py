"""The small interfaces the core asks of the outside: a store with expiry, a clock, a key for a call
in flight. The adapters in `bot.state` and `bot.whmcs` implement them; the core never imports those.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from bot.core.login_budget import LoginRecord

T = TypeVar("T")


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


class LoginLedger(Protocol):
    """The WHMCS login record (`login_budget.LoginRecord`), changed atomically: in this process, or in
    Redis for every process that shares it, so that they all spend one budget of refused logins."""

    def read(self) -> LoginRecord: ...

    def update(self, change: Callable[[LoginRecord], tuple[T, LoginRecord]]) -> T:
        """Apply `change` to the current record with no other change in between; return its first item."""
        ...
