"""A Redis that stops answering (SIGSTOP: connections open, nothing read) must not reach the acknowledgement,
and a lock it applied late must not hold a lookup. Real redis-server, real app over signed HTTP."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis

from bot.settings import WhmcsSettings
from bot.state.redis_store import RedisBreaker, RedisStore, connect
from tests.fakes.slack import FakeSlack
from tests.fakes.whmcs import FakeWhmcs, entry
from tests.redis_server import redis_server
from tests.slack_harness import ALICE, BILLING_GROUP, BOB, all_text, running_bot

SLACK_ACK_SECONDS = 3.0
GROUPS = [BILLING_GROUP, "S0TWO", "S0THREE", "S0FOUR", "S0FIVE", "S0SIX"]
KEY = ("GetCredits", (("clientid", "42"),))


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    with redis_server(tmp_path) as url:
        yield url


@contextmanager
def frozen(url: str) -> Iterator[None]:
    """The redis-server process stopped: it accepts connections (the kernel does) and answers nothing."""
    info: dict[str, Any] = redis.Redis.from_url(url).info()  # type: ignore[assignment]
    pid = int(info["process_id"])
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def test_a_frozen_redis_does_not_delay_acknowledgements(
    slack: FakeSlack, whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings, redis_url: str
) -> None:
    whmcs.set_credits(42, [entry(1, "2024-01-01", "Top-up", "12.34")])
    slack.groups.update({group: [BOB] for group in GROUPS})
    with running_bot(slack, whmcs_settings, redis_url=redis_url, credits_allowed_usergroups=GROUPS) as bot:
        assert "Top-up" in all_text(bot.answer(bot.command("42", user=BOB)))  # groups cached
        with frozen(redis_url):
            replies = [bot.command("42", user=user) for user in (ALICE, BOB, ALICE, BOB, ALICE, BOB)]
            answers = [bot.answer(reply) for reply in replies]
    assert all(reply.json()["text"] == "Looking up the credits of client #42…" for reply in replies)
    assert max(reply.seconds for reply in replies) < SLACK_ACK_SECONDS, "Slack gives up after 3 s"
    assert all("Top-up" in all_text(answer) for answer in answers)


def test_the_breaker_answers_from_memory_without_asking_a_frozen_redis(redis_url: str) -> None:
    breaker = RedisBreaker(open_seconds=60)
    store = RedisStore(connect(redis_url, verify_tls=True, pool_size=4), breaker)
    store.put("k", "v", 60)
    with frozen(redis_url):
        assert store.get("k") == "v"  # one command times out and opens the breaker
        assert breaker.failing
        started = time.monotonic()
        assert [store.get("k") for _ in range(100)] == ["v"] * 100
        memory_only = time.monotonic() - started
    assert memory_only < 0.25, "no command reached Redis (each would wait out its timeout)"
