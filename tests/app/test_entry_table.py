"""CREDITS_ENTRY_TABLE: the entries as a table, and today's rendering resent once when Slack refuses it."""

from __future__ import annotations

import logging

import pytest

from bot.core.slack_limits import message_problems
from bot.settings import WhmcsSettings
from tests.fakes.slack import FakeSlack
from tests.fakes.whmcs import FakeWhmcs, client, entry
from tests.slack_harness import ALICE, all_text, running_bot

ENTRIES = [
    entry(1, "2024-03-01", "Prepaid top-up", "100.10"),
    entry(2, "2024-03-05", "Credit Applied to Invoice #88", "-40.05"),
]


@pytest.fixture(autouse=True)
def _client(whmcs: FakeWhmcs) -> None:
    whmcs.clients[42] = client(42, credit="60.05")
    whmcs.set_credits(42, ENTRIES)


def test_the_answer_carries_the_table_where_slack_takes_it(
    slack: FakeSlack, whmcs_settings: WhmcsSettings
) -> None:
    with running_bot(slack, whmcs_settings, credits_entry_table=True) as bot:
        answer = bot.answer(bot.command("42"))
    (table,) = answer["attachments"][0]["blocks"]
    assert [cell.get("text") for cell in table["rows"][1][:3]] == [
        "2024-03-05",
        "Credit Applied to Invoice #88",
        "$-40.05 USD",
    ]
    assert "credits_fallback" not in answer
    assert message_problems(answer) == []


def test_a_refused_table_is_resent_without_it_once_and_logged_once(
    slack: FakeSlack, whmcs_settings: WhmcsSettings, caplog: pytest.LogCaptureFixture
) -> None:
    slack.refuse_tables = True
    with (
        caplog.at_level(logging.WARNING),
        running_bot(slack, whmcs_settings, credits_entry_table=True) as bot,
    ):
        first, second = bot.command("42"), bot.command("42")
        answers = [bot.answer(first), bot.answer(second)]
        bot.settle()
    for reply, answer in zip((first, second), answers, strict=True):
        assert "attachments" not in answer
        assert "`-40.05`" not in all_text(answer) and "`$-40.05 USD`  2024-03-05" in all_text(answer)
        assert len(slack.refused[reply.key]) == 1 and len(slack.responses[reply.key]) == 1
    assert [record.getMessage() for record in caplog.records].count("table_refused") == 1


def test_a_direct_message_falls_back_too(slack: FakeSlack, whmcs_settings: WhmcsSettings) -> None:
    slack.refuse_tables = True
    with running_bot(slack, whmcs_settings, credits_entry_table=True) as bot:
        bot.shortcut()
        bot.submit(bot.opened_view(), "42")
        posts = slack.wait_for_calls("chat.postMessage", 2)
    assert [bool(post.get("attachments")) for post in posts] == [True, False]
    assert posts[1]["channel"] == ALICE
    assert "Credit Applied to Invoice #88" in str(posts[1]["blocks"])
