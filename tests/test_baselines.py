"""The load benchmark's baseline Bolt apps answer signed commands and refuse forged ones, as Bolt apps do."""

from __future__ import annotations

import pytest

from benchmarks.baselines import bare_app, plain_app
from tests.fakes.slack import FakeSlack
from tests.fakes.whmcs import FakeWhmcs, entry
from tests.processes import serving_env
from tests.slack_harness import BotUnderTest, serving


@pytest.fixture(autouse=True)
def _baseline_env(monkeypatch: pytest.MonkeyPatch, slack: FakeSlack, whmcs: FakeWhmcs) -> None:
    for name, value in serving_env(slack, whmcs).items():
        monkeypatch.setenv(name, value)


def test_bare_app_only_acknowledges(slack: FakeSlack) -> None:
    with serving(bare_app.create_application()) as url:
        bot = BotUnderTest(url, slack)
        reply = bot.command("42")
        assert reply.status == 200
        assert bot.command("42", secret="wrong").status == 401
    assert slack.wait_for_responses(reply.key, timeout=0.3) == []


def test_plain_app_answers_through_the_response_url(slack: FakeSlack, whmcs: FakeWhmcs) -> None:
    whmcs.set_credits(
        42, [entry(1, "2024-01-01", "Top-up", "12.34"), entry(2, "2024-02-01", "Used", "-2.34")]
    )
    with serving(plain_app.create_application()) as url:
        bot = BotUnderTest(url, slack)
        reply = bot.command("42")
        assert reply.status == 200
        assert bot.answer(reply)["text"].startswith("Credits of client #42: 2 entries, total 10.00")
        assert bot.command("42", secret="wrong").status == 401
