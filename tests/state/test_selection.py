"""Redis or memory, decided in one place by REDIS_URL; with Redis, one client and one breaker for all."""

from __future__ import annotations

import redis

from bot.settings import SlackSettings
from bot.state.limits import RedisRateLimiter, SlidingWindowLimiter
from bot.state.login_ledger import MemoryLoginLedger, RedisLoginLedger
from bot.state.memory import MemoryStore
from bot.state.redis_store import RedisStore
from bot.state.selection import shared_state
from tests.fakes.slack import BOT_TOKEN
from tests.processes import free_port


def settings(**values: object) -> SlackSettings:
    return SlackSettings(slack_bot_token=BOT_TOKEN, **values)  # type: ignore[arg-type]


def test_without_redis_each_process_keeps_its_own_state() -> None:
    state = shared_state(settings(credits_rate_limit=3))
    assert isinstance(state.store, MemoryStore)
    assert isinstance(state.limiter, SlidingWindowLimiter) and state.limiter.limit == 3
    assert isinstance(state.logins, MemoryLoginLedger)


def test_with_redis_everything_shares_one_server(shared_redis_url: str) -> None:
    state = shared_state(settings(redis_url=shared_redis_url, credits_rate_limit=3))
    assert isinstance(state.store, RedisStore)
    assert isinstance(state.limiter, RedisRateLimiter) and state.limiter.limit == 3
    assert isinstance(state.logins, RedisLoginLedger)
    state.store.put("k", [1], ttl=60)
    assert redis.Redis.from_url(shared_redis_url).exists("credits-bot:k") == 1


def test_a_redis_that_cannot_be_reached_leaves_each_piece_working_in_memory() -> None:
    state = shared_state(settings(redis_url=f"redis://127.0.0.1:{free_port()}/0", credits_rate_limit=1))
    state.store.put("k", [1], ttl=60)
    assert state.store.get("k") == [1]
    assert state.limiter.acquire("U1").allowed
    assert not state.limiter.acquire("U1").allowed
    assert state.logins.update(lambda record: ("changed", record)) == "changed"
