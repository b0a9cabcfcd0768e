"""Slow dependencies against the acknowledgement: acknowledgement times with a frozen Redis (SIGSTOP) and six
allowed user groups, and the time until six group members are answered while usergroups.users.list hangs.

    python -m benchmarks.stalls

Needs redis-server. Prints numbers; the tests assert the behaviour (tests/state/test_frozen_redis.py,
tests/slack/test_resilience.py).
"""

from __future__ import annotations

import os
import signal
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import redis

from bot.settings import WhmcsSettings
from tests.fakes.slack import FakeSlack, MethodAnswer
from tests.fakes.whmcs import IDENTIFIER, SECRET, FakeWhmcs, entry
from tests.redis_server import redis_server
from tests.slack_harness import ALICE, BILLING_GROUP, BOB, running_bot

GROUPS = [BILLING_GROUP, "S0TWO", "S0THREE", "S0FOUR", "S0FIVE", "S0SIX"]


def frozen_redis_acks(slack: FakeSlack, settings: WhmcsSettings, url: str) -> list[float]:
    slack.groups.update({group: [BOB] for group in GROUPS})
    with running_bot(slack, settings, redis_url=url, credits_allowed_usergroups=GROUPS) as bot:
        bot.answer(bot.command("42", user=BOB))
        info: dict[str, Any] = redis.Redis.from_url(url).info()  # type: ignore[assignment]
        pid = int(info["process_id"])
        os.kill(pid, signal.SIGSTOP)
        try:
            return [bot.command("42", user=user).seconds for user in (ALICE, BOB) * 5]
        finally:
            os.kill(pid, signal.SIGCONT)


def hanging_slack_answers(slack: FakeSlack, settings: WhmcsSettings) -> list[float]:
    people = [f"U0MEMBER{n}" for n in range(6)]
    slack.groups[BILLING_GROUP] = people
    released = threading.Event()

    def hang(args: dict[str, Any]) -> MethodAnswer:
        released.wait(60)
        return 200, {"ok": True, "users": people}

    slack.methods["usergroups.users.list"] = hang
    try:
        with running_bot(slack, settings) as bot, ThreadPoolExecutor(6) as pool:
            started = time.monotonic()

            def one(user: str) -> float:
                bot.answer(bot.command("42", user=user), timeout=60)
                return time.monotonic() - started

            return sorted(pool.map(one, people))
    finally:
        released.set()


def main() -> None:
    with FakeWhmcs() as whmcs, tempfile.TemporaryDirectory() as folder, redis_server(Path(folder)) as url:
        whmcs.set_credits(42, [entry(1, "2024-01-01", "Top-up", "1.00")])
        settings = WhmcsSettings(
            whmcs_url=whmcs.url, whmcs_identifier=IDENTIFIER, whmcs_secret=SECRET, whmcs_timeout=2
        )
        with FakeSlack() as slack:
            acks = frozen_redis_acks(slack, settings, url)
        print("frozen Redis, 6 groups, 10 acks (listed user and member alternating):")
        print("  " + " ".join(f"{seconds:.2f}" for seconds in acks) + f"  max {max(acks):.2f} s")
        with FakeSlack() as slack:
            answered = hanging_slack_answers(slack, settings)
        print("six members while usergroups.users.list hangs, answered at (s):")
        print("  " + " ".join(f"{seconds:.1f}" for seconds in answered))


if __name__ == "__main__":
    main()
