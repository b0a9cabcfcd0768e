"""Each person's recent lookups in the shared store: kept per person, 30 days in the store, and a failing
store costs the Home tab its list and nothing else."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import redis

from bot.core.home import RECENT_SECONDS, RecentLookup
from bot.state.memory import MemoryStore
from bot.state.recent_lookups import RecentLookups
from bot.state.redis_store import KEY_PREFIX, RedisStore
from tests.fakes.clock import FakeClock


class BrokenStore:
    """A store whose backend fails on every call, as a Store adapter with a bug would."""

    def get(self, key: str) -> Any | None:
        raise OSError("store unreachable")

    def put(self, key: str, value: Any, ttl: float) -> None:
        raise OSError("store unreachable")


def test_each_person_has_their_own_list_newest_first() -> None:
    clock = FakeClock(1_700_000_000.0)
    recent = RecentLookups(MemoryStore(clock), clock)
    recent.add("U1", 42, "Jane Doe")
    clock.advance(1)
    recent.add("U1", 7, None)
    recent.add("U2", 9, "Acme")
    assert recent.of("U1") == [
        RecentLookup(7, "Client #7", 1_700_000_001.0),
        RecentLookup(42, "Jane Doe", 1_700_000_000.0),
    ]
    assert [item.client_id for item in recent.of("U2")] == [9]
    assert recent.of("U3") == []


def test_the_list_is_kept_in_the_store_for_thirty_days(redis_client: redis.Redis) -> None:
    RecentLookups(RedisStore(redis_client), FakeClock(1_700_000_000.0)).add("U1", 42, "Jane Doe")
    left: int = redis_client.pttl(KEY_PREFIX + "recent:U1")  # type: ignore[assignment]
    assert RECENT_SECONDS * 1000 - 5_000 < left <= RECENT_SECONDS * 1000
    another_process = RecentLookups(RedisStore(redis_client), FakeClock(1_700_000_100.0))
    assert [item.client_id for item in another_process.of("U1")] == [42]


def test_a_failing_store_leaves_an_empty_list_and_tells_the_operator(
    caplog: pytest.LogCaptureFixture,
) -> None:
    recent = RecentLookups(BrokenStore(), FakeClock())
    with caplog.at_level(logging.WARNING):
        recent.add("U1", 42, "Jane Doe")
        assert recent.of("U1") == []
    failures = [r for r in caplog.records if r.getMessage() == "recent_lookups_failed"]
    assert len(failures) == 3, "the read inside add, its write, and the read"
    assert {getattr(r, "fields", {}).get("kind") for r in failures} == {"OSError"}
