"""The Slack Web API failing under the bot: rate limits, dropped connections, membership fallback."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from bot.settings import WhmcsSettings
from bot.slack.membership import MEMBERSHIP_FALLBACK_SECONDS
from bot.slack.web_api import SLACK_LONGEST_RETRY_AFTER, SLACK_TIMEOUT_SECONDS, retry_after_seconds
from tests.fakes.clock import FakeClock
from tests.fakes.slack import HANG_UP, FakeSlack, MethodAnswer
from tests.fakes.whmcs import FakeWhmcs, entry
from tests.slack_harness import BILLING_GROUP, BOB, BotUnderTest, running_bot

UNVERIFIED = "I couldn't verify your access to billing data; try again in a moment."
MEMBERS: MethodAnswer = (200, {"ok": True, "users": [BOB]})


def scripted(*answers: MethodAnswer) -> Callable[[dict[str, Any]], MethodAnswer]:
    """Answer with each of `answers` in turn, then keep giving the last one."""
    queue = list(answers)
    return lambda args: queue.pop(0) if len(queue) > 1 else queue[0]


def rate_limited(seconds: str) -> MethodAnswer:
    return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": seconds}


@pytest.fixture
def bot_with_clock(
    slack: FakeSlack, whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings, clock: FakeClock
) -> Iterator[BotUnderTest]:
    whmcs.set_credits(42, [entry(1, "2024-01-01", "Top-up", "12.34")])
    with running_bot(slack, whmcs_settings, clock=clock) as bot:
        yield bot


def answer_for_bob(bot: BotUnderTest) -> tuple[str, float]:
    started = time.monotonic()
    answer = bot.answer(bot.command("42", user=BOB), timeout=15)
    return answer["text"], time.monotonic() - started


def test_a_short_rate_limit_is_waited_out_and_retried(bot_with_clock: BotUnderTest, slack: FakeSlack) -> None:
    slack.methods["usergroups.users.list"] = scripted(rate_limited("1"), MEMBERS)
    text, seconds = answer_for_bob(bot_with_clock)
    assert text.startswith("Credits of client #42: 1 entries")
    assert len(slack.method_calls("usergroups.users.list")) == 2
    assert 1.0 <= seconds < 1.0 + 1.0 + 1.5, "Retry-After plus slack_sdk's jitter of up to a second"


def test_a_long_rate_limit_is_not_waited_for(bot_with_clock: BotUnderTest, slack: FakeSlack) -> None:
    slack.methods["usergroups.users.list"] = scripted(rate_limited(str(SLACK_LONGEST_RETRY_AFTER + 27)))
    text, seconds = answer_for_bob(bot_with_clock)
    assert text == UNVERIFIED
    assert seconds < 1.5
    assert len(slack.method_calls("usergroups.users.list")) == 1


def test_rate_limits_are_retried_only_once(bot_with_clock: BotUnderTest, slack: FakeSlack) -> None:
    slack.methods["usergroups.users.list"] = scripted(rate_limited("1"))
    text, _ = answer_for_bob(bot_with_clock)
    assert text == UNVERIFIED
    assert len(slack.method_calls("usergroups.users.list")) == 2


def test_a_dropped_connection_is_retried(bot_with_clock: BotUnderTest, slack: FakeSlack) -> None:
    slack.methods["usergroups.users.list"] = scripted((HANG_UP, {}), MEMBERS)
    text, _ = answer_for_bob(bot_with_clock)
    assert text.startswith("Credits of client #42: 1 entries")
    assert len(slack.method_calls("usergroups.users.list")) == 2


def test_membership_falls_back_to_an_answer_younger_than_30_minutes(
    bot_with_clock: BotUnderTest, slack: FakeSlack, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    slack.methods["usergroups.users.list"] = scripted(MEMBERS, (500, {"ok": False, "error": "fatal_error"}))
    assert answer_for_bob(bot_with_clock)[0].startswith("Credits of client #42")
    clock.advance(10 * 60)
    assert answer_for_bob(bot_with_clock)[0].startswith("Credits of client #42"), (
        "Slack failed: the cache answers"
    )
    clock.advance(MEMBERSHIP_FALLBACK_SECONDS - 10 * 60)
    assert answer_for_bob(bot_with_clock)[0] == UNVERIFIED, "30 minutes old: too old to trust"
    assert len(slack.method_calls("usergroups.users.list")) == 3
    assert [args["usergroup"] for args in slack.method_calls("usergroups.users.list")] == [BILLING_GROUP] * 3
    failures = [
        record.__dict__["fields"]
        for record in caplog.records
        if record.getMessage() == "usergroup_check_failed"
    ]
    assert [failure["using_answer_from_s_ago"] for failure in failures] == [600, None]
    assert {failure["group"] for failure in failures} == {BILLING_GROUP}


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "1"}, 1),
        ({"retry-after": ["30"]}, 30),
        ({"Retry-After": " 2 "}, 2),
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, None),
        ({"Retry-After": "-1"}, None),
        ({"Retry-After": "²"}, None),
        ({"Retry-After": []}, None),
        ({}, None),
    ],
)
def test_retry_after_is_read_as_whole_seconds(
    headers: dict[str, str | list[str]], seconds: int | None
) -> None:
    assert retry_after_seconds(headers) == seconds


def test_members_asking_while_slack_hangs_share_one_call_and_its_failure(
    slack: FakeSlack, whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings
) -> None:
    """Six members of a group at once while usergroups.users.list hangs: one call, and when it times out
    all six are told; the next one is told at once from the remembered failure."""
    people = [f"U0MEMBER{n}" for n in range(7)]
    slack.groups[BILLING_GROUP] = people
    released = threading.Event()

    def hang(args: dict[str, Any]) -> MethodAnswer:
        released.wait(30)
        return MEMBERS

    slack.methods["usergroups.users.list"] = hang
    try:
        with running_bot(slack, whmcs_settings) as bot, ThreadPoolExecutor(6) as pool:
            replies = list(pool.map(lambda user: bot.command("42", user=user), people[:6]))
            answers = [bot.answer(reply, timeout=SLACK_TIMEOUT_SECONDS + 5)["text"] for reply in replies]
            late = bot.answer(bot.command("42", user=people[6]))["text"]
    finally:
        released.set()
    assert answers == [UNVERIFIED] * 6
    assert late == UNVERIFIED
    assert len(slack.method_calls("usergroups.users.list")) == 1
    assert whmcs.calls == []
