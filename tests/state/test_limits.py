"""Per-person sliding windows, in the process and in Redis (real redis-server, fake clocks)."""

from __future__ import annotations

import time

import redis

from bot.state.limits import RedisRateLimiter, SlidingWindowLimiter
from bot.state.redis_store import KEY_PREFIX, RedisBreaker, connect
from tests.fakes.clock import FakeClock
from tests.processes import free_port


def test_a_refused_lookup_does_not_count_against_the_window() -> None:
    clock = FakeClock(0.0)
    limiter = SlidingWindowLimiter(1, window=600, clock=clock)
    assert limiter.acquire("U1").allowed
    for _ in range(5):
        clock.advance(100)
        assert not limiter.acquire("U1").allowed
    clock.advance(100)
    assert limiter.acquire("U1").allowed


def test_the_wait_told_is_until_the_oldest_lookup_leaves_the_window() -> None:
    clock = FakeClock(0.0)
    limiter = SlidingWindowLimiter(2, window=600, clock=clock)
    limiter.acquire("U1")
    clock.advance(200)
    limiter.acquire("U1")
    clock.advance(150)
    assert limiter.acquire("U1").retry_after == 250
    clock.advance(250)
    assert limiter.acquire("U1").allowed
    assert limiter.acquire("U1").retry_after == 200, "now the lookup at 200 is the oldest"


def test_processes_sharing_redis_share_each_persons_window(redis_client: redis.Redis) -> None:
    clock = FakeClock(time.time())
    first = RedisRateLimiter(redis_client, 2, window=600, clock=clock)
    second = RedisRateLimiter(redis_client, 2, window=600, clock=clock)
    assert first.acquire("U1").allowed
    clock.advance(60)
    assert second.acquire("U1").allowed
    clock.advance(60)
    refused = first.acquire("U1")
    assert not refused.allowed
    assert abs(refused.retry_after - 480) < 0.01
    assert second.acquire("U2").allowed


def test_two_lookups_at_the_same_instant_are_both_counted(redis_client: redis.Redis) -> None:
    """Each lookup is its own member of the sorted set, even with the same timestamp."""
    clock = FakeClock(time.time())
    limiter = RedisRateLimiter(redis_client, 3, clock=clock)
    assert limiter.acquire("U1").allowed and limiter.acquire("U1").allowed
    assert redis_client.zcard(KEY_PREFIX + "lookups:U1") == 2


def test_a_persons_window_expires_from_redis_with_the_window(redis_client: redis.Redis) -> None:
    RedisRateLimiter(redis_client, 5, window=90).acquire("U1")
    left: int = redis_client.pttl(KEY_PREFIX + "lookups:U1")  # type: ignore[assignment]
    assert 89_000 < left <= 90_000


def test_without_redis_the_process_still_enforces_the_limit() -> None:
    down = connect(f"redis://127.0.0.1:{free_port()}/0", verify_tls=True, pool_size=2)
    breaker = RedisBreaker()
    limiter = RedisRateLimiter(down, 2, breaker=breaker)
    assert limiter.acquire("U1").allowed
    assert breaker.failing
    assert limiter.acquire("U1").allowed
    refused = limiter.acquire("U1")
    assert not refused.allowed and 0 < refused.retry_after <= 600
    assert limiter.limit == 2
