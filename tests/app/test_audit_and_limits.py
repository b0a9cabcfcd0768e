"""The audit trail (log and channel) and per-person lookup limits, through the real app over HTTP."""

from __future__ import annotations

import json
import logging
from collections import Counter
from typing import Any

import pytest

from bot.core.blocks import OLDER_ACTION
from bot.core.messages import over_limit_text
from bot.settings import WhmcsSettings
from bot.state.limits import SlidingWindowLimiter
from tests.fakes.slack import FakeSlack
from tests.fakes.whmcs import FakeWhmcs, client, entry
from tests.slack_harness import ALICE, BOB, CHANNEL, MALLORY, BotUnderTest, buttons, running_bot

AUDIT = "C0AUDIT"


def audit_records(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The audit lines so far: call it once the bot has settled (a record follows its answer by a moment)."""
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "credits.audit"]


@pytest.fixture
def jane(whmcs: FakeWhmcs) -> FakeWhmcs:
    whmcs.clients[42] = client(42, credit="60.05")
    whmcs.set_credits(42, [entry(n, "2024-01-01", f"Entry {n}", "1.00") for n in range(1, 26)])
    return whmcs


def test_one_audit_line_per_command_and_button(
    bot: BotUnderTest, jane: FakeWhmcs, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    answer = bot.answer(bot.command("42"))
    bot.answer(bot.click(buttons(answer)[OLDER_ACTION]))
    bot.command("help")
    bot.command("0")
    bot.answer(bot.command("42", user=MALLORY))
    bot.answer(bot.command("999"))
    bot.settle()
    records = audit_records(caplog)
    assert sorted((r["kind"], r["outcome"]) for r in records) == sorted(
        [
            ("command", "ok"),
            ("button", "ok"),
            ("command", "help"),
            ("command", "invalid"),
            ("command", "denied"),
            ("command", "not_found"),
        ]
    )
    first = next(r for r in records if r["kind"] == "command" and r["outcome"] == "ok")
    assert first["user_id"] == ALICE and first["user_name"] == "u0alice"
    assert first["team_id"] == "T0FAKE" and first["channel_id"] == CHANNEL
    assert first["asked"] == "42" and first["client_id"] == 42 and first["entries"] == 25
    assert first["client_name"] == "Jane Doe (Acme Ltd)"
    assert isinstance(first["whmcs_ms"], int)
    assert first["time"].endswith("+00:00") and "T" in first["time"]
    assert len({r["request_id"] for r in records}) == len(records)
    assert next(r for r in records if r["kind"] == "button")["asked"].startswith("credits_older 42|20|")


def test_audit_channel_gets_lookups_and_denials_without_amounts(
    slack: FakeSlack, jane: FakeWhmcs, whmcs_settings: WhmcsSettings
) -> None:
    with running_bot(slack, whmcs_settings, audit_channel=AUDIT) as bot:
        bot.answer(bot.command("42"))
        bot.answer(bot.command("42", user=MALLORY, channel="C0GENERAL"))
        bot.command("help")
        posts = slack.wait_for_calls("chat.postMessage", 2)
    assert [(p["channel"], p["text"]) for p in posts] == [
        (AUDIT, f"@u0alice looked up credits for Jane Doe (Acme Ltd) (#42) in <#{CHANNEL}>"),
        (AUDIT, "@u0mallory was refused /credits in <#C0GENERAL>"),
    ]


def test_a_failing_audit_channel_does_not_stop_the_answer(
    slack: FakeSlack, jane: FakeWhmcs, whmcs_settings: WhmcsSettings, caplog: pytest.LogCaptureFixture
) -> None:
    slack.not_in_channels.add(AUDIT)
    with running_bot(slack, whmcs_settings, audit_channel=AUDIT) as bot:
        answer = bot.answer(bot.command("42"))
        slack.wait_for_calls("chat.postMessage", 1)
    assert "Jane Doe" in answer["blocks"][0]["text"]["text"]
    assert any(r.getMessage() == "audit_post_failed" for r in caplog.records)


def test_over_the_limit_is_refused_without_calling_whmcs(
    slack: FakeSlack, jane: FakeWhmcs, whmcs_settings: WhmcsSettings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with running_bot(slack, whmcs_settings, credits_rate_limit=2) as bot:
        answer = bot.answer(bot.command("42"))
        bot.answer(bot.command("42"))
        calls = len(jane.calls)
        refused = bot.command("42")
        clicked = bot.answer(bot.click(buttons(answer)[OLDER_ACTION]))
        other = bot.answer(bot.command("42", user=BOB))
    assert refused.json()["text"] == "You've made 2 lookups in 10 minutes; try again in 10 minutes."
    assert clicked["text"].startswith("You've made 2 lookups in 10 minutes")
    assert "Jane Doe" in other["blocks"][0]["text"]["text"]
    assert len(jane.actions("GetCredits")) == 3
    assert len(jane.calls) > calls
    outcomes = Counter(r["outcome"] for r in audit_records(caplog))
    assert outcomes == {"ok": 3, "rate_limited": 2}


def test_sliding_window() -> None:
    now = [0.0]
    limiter = SlidingWindowLimiter(2, window=600, clock=lambda: now[0])
    assert limiter.acquire("U1").allowed
    now[0] = 100
    assert limiter.acquire("U1").allowed
    refused = limiter.acquire("U1")
    assert not refused.allowed and refused.retry_after == 500
    assert limiter.acquire("U2").allowed
    now[0] = 600
    assert limiter.acquire("U1").allowed
    assert over_limit_text(30, 239) == "You've made 30 lookups in 10 minutes; try again in 4 minutes."
    assert over_limit_text(30, 12.2) == "You've made 30 lookups in 10 minutes; try again in 13 seconds."
