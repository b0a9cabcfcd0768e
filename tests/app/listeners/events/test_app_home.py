"""The Home tab end to end: app_home_opened -> views.publish with the person's recent lookups and the
WHMCS status; its buttons open the picker or show a lookup again in a direct message."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.slack_limits import message_problems
from tests.fakes.slack import FakeSlack
from tests.fakes.whmcs import FakeWhmcs, client, entry, error
from tests.slack_harness import ALICE, BOB, MALLORY, BotUnderTest, all_text

ENTRIES = [entry(1, "2024-03-01", "Prepaid top-up", "100.10")]


@pytest.fixture(autouse=True)
def _clients(whmcs: FakeWhmcs) -> None:
    for client_id in range(40, 53):
        whmcs.clients[client_id] = client(client_id, first=f"Client{client_id}", credit="100.10")
        whmcs.set_credits(client_id, ENTRIES)


def home_buttons(view: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for block in view["blocks"]:
        found += [element for element in block.get("elements", []) if element.get("type") == "button"]
        if "accessory" in block:
            found.append(block["accessory"])
    return found


def published(bot: BotUnderTest, count: int) -> dict[str, Any]:
    return bot.opened_view("views.publish", count)


def test_the_home_tab_lists_the_persons_own_recent_lookups(bot: BotUnderTest, slack: FakeSlack) -> None:
    assert bot.home_opened().status == 200
    first = published(bot, 1)
    assert first["type"] == "home"
    assert "Your lookups will be listed here" in str(first)
    assert "WHMCS has not been asked since the bot started." in str(first)
    for client_id in range(40, 52):  # twelve lookups: the ten newest are kept
        bot.answer(bot.command(str(client_id)))
    bot.answer(bot.command("45"))  # again: listed once, first
    bot.settle()
    bot.home_opened()
    view = published(bot, 2)
    assert slack.method_calls("views.publish")[1]["user_id"] == ALICE
    shows = [button for button in home_buttons(view) if button["action_id"].startswith("credits_home_show_")]
    assert [button["value"].split("|")[0] for button in shows] == [
        "45",
        "51",
        "50",
        "49",
        "48",
        "47",
        "46",
        "44",
        "43",
        "42",
    ]
    assert "*Client45 Doe (Acme Ltd)* · #45" in str(view)
    assert "WHMCS last answered at" in str(view)
    assert "100.10" not in str(view), "never amounts"
    bot.home_opened(user=BOB)
    assert "Your lookups will be listed here" in str(published(bot, 3)), "each person sees their own"


def test_the_messages_tab_publishes_nothing(bot: BotUnderTest, slack: FakeSlack) -> None:
    assert bot.home_opened(tab="messages").status == 200
    bot.settle()
    assert slack.method_calls("views.publish") == []


def test_show_again_answers_in_a_direct_message_and_the_button_opens_the_picker(
    bot: BotUnderTest, slack: FakeSlack
) -> None:
    bot.answer(bot.command("42"))
    bot.settle()
    bot.home_opened()
    buttons = {button["action_id"]: button for button in home_buttons(published(bot, 1))}
    bot.press(buttons["credits_home_show_0"])
    (message,) = slack.wait_for_calls("chat.postMessage", 1)
    assert message["channel"] == ALICE
    shown = {"text": message["text"], "blocks": message["blocks"]}
    assert "Credits of Client42 Doe (Acme Ltd) (#42)" in shown["text"]
    assert message_problems(shown) == []
    assert "Share in channel" not in all_text(shown)
    bot.press(buttons["credits_home_picker"])
    assert bot.opened_view()["callback_id"] == "credits_picker"


def test_a_stranger_sees_who_to_ask_and_their_presses_get_nothing(
    bot: BotUnderTest, whmcs: FakeWhmcs, slack: FakeSlack
) -> None:
    bot.home_opened(user=MALLORY)
    view = published(bot, 1)
    assert len(view["blocks"]) == 1
    assert "You're not allowed to look up billing credits" in view["blocks"][0]["text"]["text"]
    bot.press({"action_id": "credits_home_show_0", "value": "42|0|||"}, user=MALLORY)
    (message,) = slack.wait_for_calls("chat.postMessage", 1)
    assert "You're not allowed" in message["text"]
    bot.settle()
    assert whmcs.calls == []


def test_the_status_line_says_when_the_credentials_pause_ends(bot: BotUnderTest, whmcs: FakeWhmcs) -> None:
    whmcs.queue(error("Authentication Failed"), action=None)
    bot.answer(bot.command("42"))
    bot.settle()
    bot.home_opened()
    assert "refused the bot's API credentials; the bot will not ask WHMCS again before" in str(
        published(bot, 1)
    )
