"""Several web processes sharing one Redis: one rate limit, one membership cache, one currency cache."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis

from bot.settings import WhmcsSettings
from bot.state.limits import RedisRateLimiter
from bot.state.redis_store import KEY_PREFIX, RedisStore
from tests.fakes.clock import FakeClock
from tests.fakes.slack import FakeSlack
from tests.fakes.whmcs import FakeWhmcs, client, entry
from tests.processes import free_port, procfile_web, serving_env, wait_healthy
from tests.redis_server import redis_server
from tests.slack_harness import BILLING_GROUP, BOB, BotUnderTest, all_text, running_bot
from tests.waiting import until


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    with redis_server(tmp_path) as url:
        yield url


@pytest.fixture
def jane(whmcs: FakeWhmcs) -> FakeWhmcs:
    whmcs.clients[42] = client(42, credit="2.00")
    whmcs.set_credits(42, [entry(1, "2024-01-01", "Top-up", "2.00")])
    return whmcs


def test_two_processes_share_one_limit_and_one_cache(
    slack: FakeSlack, jane: FakeWhmcs, redis_url: str
) -> None:
    env = serving_env(slack, jane) | {
        "REDIS_URL": redis_url,
        "CREDITS_RATE_LIMIT": "3",
        "CREDITS_ALLOWED_USERS": "",
        "CREDITS_ALLOWED_USERGROUPS": BILLING_GROUP,
    }
    # The second starts once the first has warmed the shared currency cache: two cold starts at the same
    # moment each ask WHMCS (there is no cross-process coalescing since issue 15), which is not what this
    # test is about.
    with procfile_web(env) as (first, first_url):
        wait_healthy(first_url, first)
        with procfile_web(env) as (second, second_url):
            wait_healthy(second_url, second)
            bots = [BotUnderTest(first_url, slack), BotUnderTest(second_url, slack)]
            answers = [bots[n % 2].answer(bots[n % 2].command("42", user=BOB)) for n in range(3)]
            refused = bots[1].command("42", user=BOB)
    assert all("Jane Doe" in all_text(answer) for answer in answers)
    assert refused.json()["text"].startswith("You've made 3 lookups in 10 minutes; try again in")
    assert len(jane.actions("GetCredits")) == 3
    assert len(slack.method_calls("usergroups.users.list")) == 1
    assert len(jane.actions("GetCurrencies")) == 1


def test_unreachable_redis_falls_back_to_the_process(
    slack: FakeSlack, jane: FakeWhmcs, whmcs_settings: WhmcsSettings, caplog: pytest.LogCaptureFixture
) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"
    with running_bot(slack, whmcs_settings, redis_url=closed, credits_rate_limit=1) as bot:
        answer = bot.answer(bot.command("42"))
        refused = bot.command("42")
    assert "Jane Doe" in all_text(answer)
    assert refused.json()["text"].startswith("You've made 1 lookups in 10 minutes")
    assert any(record.getMessage() == "redis_unavailable" for record in caplog.records)


def test_redis_sliding_window_and_store(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    clock = FakeClock(start=time.time())
    limiter = RedisRateLimiter(client, 2, window=1.0, clock=clock)
    assert limiter.acquire("U1").allowed
    assert limiter.acquire("U1").allowed
    refused = limiter.acquire("U1")
    assert not refused.allowed and 0 < refused.retry_after <= 1.0
    assert limiter.acquire("U2").allowed
    clock.advance(1.05)
    assert limiter.acquire("U1").allowed
    store = RedisStore(client)
    store.put("k", {"a": [1, 2]}, ttl=0.2)
    assert RedisStore(client).get("k") == {"a": [1, 2]}
    left: int = client.pttl(KEY_PREFIX + "k")  # type: ignore[assignment]
    assert 0 < left <= 200, "Redis expires it, for every process"
    until(lambda: RedisStore(client).get("k") is None, "the value expires after its ttl", timeout=2)


def test_no_billing_data_reaches_redis(
    slack: FakeSlack, jane: FakeWhmcs, whmcs_settings: WhmcsSettings, redis_url: str
) -> None:
    """Issue 15 §1: two processes asked for one client at once each ask WHMCS (coalescing is per process)
    and keep the log for their own buttons; Redis holds limits and caches, never a credit log, and a name
    only in the Home tab's recent lookups."""
    jane.latency = 0.5
    with (
        running_bot(slack, whmcs_settings, redis_url=redis_url) as first,
        running_bot(slack, whmcs_settings, redis_url=redis_url) as second,
        ThreadPoolExecutor(4) as pool,
    ):
        replies = list(pool.map(lambda bot: bot.command("42"), [first, second, first, second]))
        answers = [
            bots.answer(reply) for bots, reply in zip([first, second, first, second], replies, strict=True)
        ]
    assert all("Jane Doe" in all_text(answer) for answer in answers)
    assert len(jane.actions("GetCredits")) == 2, "one call per process"
    stored = redis.Redis.from_url(redis_url, decode_responses=True)
    contents = []
    for key in stored.scan_iter(f"{KEY_PREFIX}*"):
        kind = stored.type(key)
        assert kind in ("string", "zset"), f"{key}: {kind}"
        members: list[str] = stored.zrange(key, 0, -1) if kind == "zset" else []  # type: ignore[assignment]
        contents += [key, stored.get(key) if kind == "string" else " ".join(members)]
    assert contents, "Redis holds the limits and the caches"
    everything = " ".join(str(content) for content in contents)
    for billing in ("Top-up", "jane@example.com"):
        assert billing not in everything
    # The amount as a number of its own: the rate limit's timestamps (1796227022.0029058) may hold its digits.
    assert not re.search(r"(?<![\d.])2\.00(?!\d)", everything)
    # Issue 14 keeps each person's last lookups for the Home tab in the shared store: ids and names, on
    # purpose; the name is in that key and nowhere else.
    recent = f"{KEY_PREFIX}recent:"
    assert "Jane" not in " ".join(
        str(content)
        for key, content in zip(contents[::2], contents[1::2], strict=True)
        if not str(key).startswith(recent)
    )
