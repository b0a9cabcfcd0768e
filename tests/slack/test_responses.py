"""Answers through response_url when Slack does not take them at first: retried within Slack's limits, and
a lost answer is recorded as lost. Signed commands into the real app, a loopback Slack that fails."""

from __future__ import annotations

import json
import logging
import time

import pytest
import requests

from bot.slack.responses import RESPONSE_ATTEMPTS
from tests.fakes.slack import HANG_UP, FakeSlack, MethodAnswer
from tests.fakes.whmcs import FakeWhmcs, entry
from tests.slack_harness import BotUnderTest, Reply, signed_headers

UNAVAILABLE: MethodAnswer = (503, {"error": "service_unavailable"})


def command_answered_through(bot: BotUnderTest, failures: list[MethodAnswer]) -> Reply:
    body, key = bot.command_form("42")
    bot.slack.response_failures[key] = list(failures)
    return bot.post(body, signed_headers(body), key)


def audit_outcomes(caplog: pytest.LogCaptureFixture, timeout: float = 5) -> list[str]:
    """The audit records' outcomes, once there is one (it is written just after the answer is posted)."""
    deadline = time.monotonic() + timeout
    while True:
        outcomes = [
            json.loads(r.getMessage())["outcome"] for r in caplog.records if r.name == "credits.audit"
        ]
        if outcomes or time.monotonic() > deadline:
            return outcomes
        time.sleep(0.01)


def outcome_count(bot: BotUnderTest, outcome: str) -> float:
    metrics = requests.get(bot.url + "/metrics", timeout=5).text
    line = next(
        line
        for line in metrics.splitlines()
        if line.startswith(f'credits_commands_total{{outcome="{outcome}"}}')
    )
    return float(line.split()[-1])


@pytest.mark.parametrize(
    "failures",
    [
        [UNAVAILABLE, (429, {"error": "rate_limited"}, {"Retry-After": "1"})],
        [(HANG_UP, {}), (500, {"error": "internal"})],
    ],
    ids=["5xx-then-429", "reset-then-5xx"],
)
def test_an_answer_slack_refused_for_a_moment_is_delivered(
    bot: BotUnderTest,
    whmcs: FakeWhmcs,
    slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
    failures: list[MethodAnswer],
) -> None:
    whmcs.set_credits(42, [entry(1, "2024-01-01", "Top-up", "12.34")])
    with caplog.at_level(logging.INFO):
        reply = command_answered_through(bot, failures)
        answer = bot.answer(reply, timeout=15)
        outcomes = audit_outcomes(caplog)
    assert answer["text"].startswith("Credits of client #42")
    assert slack.response_failures[reply.key] == [], "each failure was met once, then the answer went through"
    assert outcomes == ["ok"]


def test_an_answer_finally_lost_is_audited_and_counted_as_lost(
    bot: BotUnderTest, whmcs: FakeWhmcs, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    whmcs.set_credits(42, [entry(1, "2024-01-01", "Top-up", "12.34")])
    with caplog.at_level(logging.INFO):
        reply = command_answered_through(bot, [UNAVAILABLE] * (RESPONSE_ATTEMPTS + 2))
        outcomes = audit_outcomes(caplog, timeout=10)
        failed_lines = [r for r in caplog.records if r.getMessage() == "respond_failed"]
    assert len(slack.response_failures[reply.key]) == 2, f"{RESPONSE_ATTEMPTS} attempts, no more"
    assert [r.fields["reason"] for r in failed_lines] == [f"HTTP 503 after {RESPONSE_ATTEMPTS} attempts"]  # type: ignore[attr-defined]
    assert outcomes == ["answer_lost"]
    assert reply.key not in slack.responses
    assert outcome_count(bot, "answer_lost") == 1
    assert outcome_count(bot, "ok") == 0


@pytest.mark.parametrize(
    "failure",
    [(404, {"error": "expired_url"}), (429, {"error": "rate_limited"}, {"Retry-After": "60"})],
    ids=["expired", "long-retry-after"],
)
def test_an_expired_url_or_a_long_retry_after_is_not_retried(
    bot: BotUnderTest,
    whmcs: FakeWhmcs,
    slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
    failure: MethodAnswer,
) -> None:
    whmcs.set_credits(42, [entry(1, "2024-01-01", "Top-up", "12.34")])
    with caplog.at_level(logging.INFO):
        reply = command_answered_through(bot, [failure, UNAVAILABLE])
        outcomes = audit_outcomes(caplog)
    assert slack.response_failures[reply.key] == [UNAVAILABLE], "one attempt only"
    assert outcomes == ["answer_lost"]
    assert reply.key not in slack.responses
