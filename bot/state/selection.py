"""Redis when REDIS_URL is set, else this process's memory: the one place that choice is made."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.ports import LoginLedger, Store
from bot.settings import SlackSettings
from bot.state.limits import RateLimiter, RedisRateLimiter, SlidingWindowLimiter
from bot.state.login_ledger import MemoryLoginLedger, RedisLoginLedger
from bot.state.memory import MemoryStore
from bot.state.redis_store import RedisBreaker, RedisStore, connect


@dataclass(frozen=True)
class SharedState:
    store: Store
    limiter: RateLimiter
    logins: LoginLedger


def shared_state(slack: SlackSettings) -> SharedState:
    """Redis when REDIS_URL is set, so that every web process shares one limit, one cache and one budget of
    refused WHMCS logins; otherwise each process keeps its own. Billing data never goes to Redis (identical
    lookups in flight are coalesced per process, and lookups are kept for their buttons per process)."""
    if slack.redis_url is None:
        return SharedState(MemoryStore(), SlidingWindowLimiter(slack.credits_rate_limit), MemoryLoginLedger())
    client = connect(
        slack.redis_url.get_secret_value(),
        verify_tls=slack.redis_verify_tls,
        pool_size=2 * slack.bot_concurrency + 16,
    )
    breaker = RedisBreaker()  # one Redis: once it fails, every user of it stands in at once
    return SharedState(
        RedisStore(client, breaker),
        RedisRateLimiter(client, slack.credits_rate_limit, breaker=breaker),
        RedisLoginLedger(client, breaker),
    )
