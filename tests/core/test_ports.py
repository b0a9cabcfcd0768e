"""The core's ports and the adapters behind them: each adapter is assigned to the port it stands for, so
mypy (strict, over tests/) fails when an adapter drifts from its protocol; the contract each port promises
is then checked on the in-process adapter."""

from __future__ import annotations

import time

import redis

from bot.core.login_budget import LoginRecord
from bot.core.ports import Clock, FlightKey, Flights, LoginLedger, Store
from bot.state.login_ledger import MemoryLoginLedger, RedisLoginLedger
from bot.state.memory import MemoryStore
from bot.state.redis_store import RedisStore
from bot.state.single_flight import SingleFlight
from tests.fakes.clock import FakeClock

UNUSED_REDIS = redis.Redis.from_url("redis://127.0.0.1:1/0")
"""A client that connects only when a command is sent; none is sent here."""


def test_every_adapter_is_its_port() -> None:
    stores: list[Store] = [MemoryStore(), RedisStore(UNUSED_REDIS)]
    ledgers: list[LoginLedger] = [MemoryLoginLedger(), RedisLoginLedger(UNUSED_REDIS)]
    flights: Flights = SingleFlight[FlightKey, object]()
    clocks: list[Clock] = [time.monotonic, time.time, FakeClock()]
    assert len(stores) == len(ledgers) == 2
    assert flights.run(("GetCredits", (("clientid", "42"),)), lambda: "once") == "once"
    assert all(isinstance(clock(), float) for clock in clocks)


def test_a_store_keeps_a_value_for_its_time_to_live_only() -> None:
    clock = FakeClock()
    store: Store = MemoryStore(clock)
    store.put("k", {"members": ["U1"]}, ttl=60)
    clock.advance(59.9)
    assert store.get("k") == {"members": ["U1"]}
    clock.advance(0.1)
    assert store.get("k") is None
    assert store.get("never") is None


def test_a_ledger_applies_a_change_and_returns_its_first_item() -> None:
    ledger: LoginLedger = MemoryLoginLedger()
    changed = LoginRecord(refused_at=(1.0,), streak=1)
    assert ledger.update(lambda before: (before, changed)) == LoginRecord()
    assert ledger.read() == changed
