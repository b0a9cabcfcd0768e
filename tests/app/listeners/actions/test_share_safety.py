"""Where a share may go and what a press repeated does: never into a channel shared with another
organisation, never twice, and a Slack timeout said plainly. Signed clicks into the real app."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bot.app.listeners.actions.credit_buttons import (
    EXPORT_UNCONFIRMED,
    EXTERNAL_CHANNEL,
    SHARE_UNCONFIRMED,
    UNCHECKED_CHANNEL,
)
from bot.core.blocks import EXPORT_ACTION, SHARE_ACTION
from tests.fakes.slack import FakeSlack, MethodAnswer
from tests.fakes.whmcs import FakeWhmcs, client, entry
from tests.slack_harness import CHANNEL, BotUnderTest, buttons


@pytest.fixture
def answer(bot: BotUnderTest, whmcs: FakeWhmcs) -> dict[str, Any]:
    whmcs.clients[42] = client(42, credit="3.00")
    whmcs.set_credits(42, [entry(1, "2024-01-01", "Top-up", "3.00")])
    return bot.answer(bot.command("42"))


def press(bot: BotUnderTest, answer: dict[str, Any], action: str) -> str:
    text: str = bot.answer(bot.click(buttons(answer)[action]), timeout=15)["text"]
    return text


@pytest.fixture
def slack_late() -> Iterator[Callable[[MethodAnswer], Callable[[dict[str, Any]], MethodAnswer]]]:
    """A method that answers after the bot's 5 s timeout, as a Slack that did the work but answered late."""
    released = threading.Event()

    def late(answer: MethodAnswer) -> Callable[[dict[str, Any]], MethodAnswer]:
        def method(args: dict[str, Any]) -> MethodAnswer:
            released.wait(7)
            return answer

        return method

    yield late
    released.set()


@pytest.mark.parametrize("kind", ["external_channels", "pending_external_channels"])
def test_no_summary_goes_into_a_channel_shared_with_another_organisation(
    bot: BotUnderTest, slack: FakeSlack, answer: dict[str, Any], kind: str
) -> None:
    getattr(slack, kind).add(CHANNEL)
    assert press(bot, answer, SHARE_ACTION) == EXTERNAL_CHANNEL
    assert [args["channel"] for args in slack.method_calls("conversations.info")] == [CHANNEL]
    assert slack.method_calls("chat.postMessage") == []


def test_a_channel_slack_cannot_describe_gets_no_summary(
    bot: BotUnderTest, slack: FakeSlack, answer: dict[str, Any]
) -> None:
    slack.methods["conversations.info"] = lambda args: (200, {"ok": False, "error": "missing_scope"})
    assert press(bot, answer, SHARE_ACTION) == UNCHECKED_CHANNEL
    assert slack.method_calls("chat.postMessage") == []


def test_sharing_twice_posts_once(bot: BotUnderTest, slack: FakeSlack, answer: dict[str, Any]) -> None:
    assert press(bot, answer, SHARE_ACTION) == "Shared the summary in this channel."
    assert press(bot, answer, SHARE_ACTION) == "I shared this summary here a moment ago; not posted again."
    assert len(slack.method_calls("chat.postMessage")) == 1


def test_a_share_that_failed_can_be_pressed_again(
    bot: BotUnderTest, slack: FakeSlack, answer: dict[str, Any]
) -> None:
    slack.not_in_channels.add(CHANNEL)
    assert press(bot, answer, SHARE_ACTION).startswith("I can't post in this channel.")
    slack.not_in_channels.clear()
    assert press(bot, answer, SHARE_ACTION) == "Shared the summary in this channel."


def test_a_share_slack_did_not_confirm_says_so_and_is_not_posted_again(
    bot: BotUnderTest, slack: FakeSlack, answer: dict[str, Any], slack_late: Any
) -> None:
    slack.methods["chat.postMessage"] = slack_late((200, {"ok": True, "channel": CHANNEL, "ts": "1.2"}))
    assert press(bot, answer, SHARE_ACTION) == SHARE_UNCONFIRMED
    assert press(bot, answer, SHARE_ACTION) == SHARE_UNCONFIRMED
    assert len(slack.method_calls("chat.postMessage")) == 1


def test_an_export_slack_did_not_confirm_says_so_and_is_not_sent_again(
    bot: BotUnderTest, slack: FakeSlack, answer: dict[str, Any], slack_late: Any
) -> None:
    slack.methods["files.completeUploadExternal"] = slack_late((200, {"ok": True, "files": []}))
    assert press(bot, answer, EXPORT_ACTION) == EXPORT_UNCONFIRMED
    assert press(bot, answer, EXPORT_ACTION) == EXPORT_UNCONFIRMED
    assert len(slack.method_calls("files.getUploadURLExternal")) == 1
