"""Several web processes sharing one Redis: one rate limit, one membership cache, one currency cache."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, cast

import pytest
import redis

from bot.settings import WhmcsSettings
from bot.state.limits import RedisRateLimiter
from bot.state.redis_store import KEY_PREFIX, RedisStore
from bot.state.single_flight import RedisSingleFlight
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
    with procfile_web(env) as (first, first_url), procfile_web(env) as (second, second_url):
        wait_healthy(first_url, first)
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


def test_two_processes_asking_for_one_client_at_once_make_one_whmcs_call(
    slack: FakeSlack, jane: FakeWhmcs, whmcs_settings: WhmcsSettings, redis_url: str
) -> None:
    jane.latency = 1.0
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
    assert len(jane.actions("GetCredits")) == 1
    assert len(jane.actions("GetClientsDetails")) == 1


KEY = ("GetCredits", (("clientid", "42"),))
FLIGHT_LOCK = f"{KEY_PREFIX}flight:{hashlib.sha256(json.dumps(KEY).encode()).hexdigest()}"
"""The Redis key RedisSingleFlight's leader holds for KEY."""


def recording(value: str, calls: list[str]) -> Callable[[], object]:
    """A call that notes it ran and returns `value` at once."""

    def call() -> object:
        calls.append(value)
        return value

    return call


def in_thread(work: Callable[[], object], results: list[object]) -> threading.Thread:
    thread = threading.Thread(target=lambda: results.append(work()))
    thread.start()
    return thread


def redis_gets(client: redis.Redis) -> int:
    """How many GET commands Redis has served: a follower's every poll reads the lock and the result."""
    stats: dict[str, Any] = cast(dict[str, Any], client.info("commandstats"))
    return int(stats.get("cmdstat_get", {}).get("calls", 0))


def test_a_leader_that_outlived_its_lock_leaves_the_next_leaders_alone(redis_url: str) -> None:
    """Three processes: the first outlasts its lock, the second leads anew, the third must follow it.

    The second's call runs until the third is seen polling, so a slow machine cannot let the second finish
    (and the third lead on its own) before the third has asked: only the released lock would make it lead.
    """
    client = redis.Redis.from_url(redis_url)
    short, second, third = (RedisSingleFlight(client, wait) for wait in (0.2, 10.0, 10.0))
    calls: list[str] = []
    results: list[object] = []
    first_may_finish, second_may_finish = threading.Event(), threading.Event()

    def first_call() -> object:
        calls.append("first")
        first_may_finish.wait(5)
        return "first"

    def second_call() -> object:
        calls.append("second")
        second_may_finish.wait(10)
        return "second"

    first = in_thread(lambda: short.run(KEY, first_call), results)
    until(lambda: calls == ["first"], "the first leads")
    until(lambda: client.exists(FLIGHT_LOCK) == 0, "the first leader's lock expires while it still runs")
    leader = in_thread(lambda: second.run(KEY, second_call), results)
    until(lambda: client.exists(FLIGHT_LOCK) == 1, "the second leader holds the lock")
    first_may_finish.set()
    first.join(5)  # the first finishes, and must not release the second's lock
    third_results: list[object] = []
    gets_before = redis_gets(client)
    follower = in_thread(lambda: third.run(KEY, recording("third", calls)), third_results)
    until(
        lambda: bool(third_results) or redis_gets(client) >= gets_before + 4,
        "the third either leads or polls the second's flight twice",
    )
    second_may_finish.set()
    follower.join(10)
    leader.join(10)
    assert third_results == ["second"]
    assert calls == ["first", "second"]


def test_a_reply_is_never_handed_to_a_caller_of_a_later_flight(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    one, two, three = (RedisSingleFlight(client, 10.0) for _ in range(3))
    calls: list[str] = []
    assert one.run(KEY, recording("earlier", calls)) == "earlier"
    later_may_finish = threading.Event()

    def later_call() -> object:
        calls.append("later")
        later_may_finish.wait(10)
        return "later"

    results: list[object] = []
    leader = in_thread(lambda: two.run(KEY, later_call), results)
    until(lambda: client.exists(FLIGHT_LOCK) == 1, "the later flight's leader holds the lock")
    joined: list[object] = []
    gets_before = redis_gets(client)
    follower = in_thread(lambda: three.run(KEY, recording("own call", calls)), joined)
    until(lambda: bool(joined) or redis_gets(client) >= gets_before + 4, "the third polls the later flight")
    later_may_finish.set()
    follower.join(10)
    leader.join(10)
    assert joined == ["later"], "the reply of the flight it joined"
    assert calls == ["earlier", "later"]
