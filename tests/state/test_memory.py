"""The in-process store: what the bot uses without REDIS_URL; expiry by the clock it is given."""

from __future__ import annotations

from bot.state.memory import MemoryStore
from tests.fakes.clock import FakeClock


def test_a_value_lives_until_its_ttl_and_not_a_moment_longer() -> None:
    clock = FakeClock()
    store = MemoryStore(clock)
    store.put("group:S1", ["U1"], ttl=300)
    clock.advance(299.999)
    assert store.get("group:S1") == ["U1"]
    clock.advance(0.001)
    assert store.get("group:S1") is None


def test_putting_again_replaces_the_value_and_restarts_its_ttl() -> None:
    clock = FakeClock()
    store = MemoryStore(clock)
    store.put("k", 1, ttl=10)
    clock.advance(8)
    store.put("k", 2, ttl=10)
    clock.advance(8)
    assert store.get("k") == 2


def test_empty_values_are_values() -> None:
    store = MemoryStore(FakeClock())
    for key, value in {"zero": 0, "empty": [], "none_inside": {"a": None}, "false": False}.items():
        store.put(key, value, ttl=1)
        assert store.get(key) == value


def test_a_ttl_of_zero_or_less_keeps_nothing() -> None:
    store = MemoryStore(FakeClock())
    store.put("gone", "x", ttl=0)
    store.put("past", "x", ttl=-5)
    assert store.get("gone") is None and store.get("past") is None
