"""The client picker end to end: shortcut or `/credits` alone -> views.open -> options as the person types ->
view_submission -> the answer, through signed requests against the loopback Slack and WHMCS."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from bot.core.picker import FAILING, SLOW, TYPE_MORE, options_problems
from bot.core.slack_limits import message_problems
from bot.settings import WhmcsSettings
from tests.fakes.slack import FakeSlack
from tests.fakes.whmcs import FakeWhmcs, client, entry, error
from tests.slack_harness import (
    ALICE,
    BOB,
    MALLORY,
    BotUnderTest,
    all_text,
    buttons,
    running_bot,
    signed_headers,
)

ENTRIES = [entry(1, "2024-03-01", "Prepaid top-up", "100.10"), entry(2, "2024-03-05", "Used", "-40.05")]


@pytest.fixture(autouse=True)
def _clients(whmcs: FakeWhmcs) -> None:
    whmcs.clients[42] = client(42, credit="60.05")
    whmcs.clients[43] = client(43, first="Janet", email="janet@example.com", company="")
    whmcs.set_credits(42, ENTRIES)


def texts(options: list[dict[str, Any]]) -> list[str]:
    return [item["text"]["text"] for item in options]


def options_for(
    bot: BotUnderTest, view: dict[str, Any], typed: str, user: str = ALICE
) -> list[dict[str, Any]]:
    reply = bot.suggest(view, typed, user)
    assert reply.status == 200
    options: list[dict[str, Any]] = reply.json()["options"]
    assert options_problems(options) == []
    return options


def test_shortcut_search_submit_answers_in_a_direct_message(bot: BotUnderTest, slack: FakeSlack) -> None:
    assert bot.shortcut().status == 200
    view = bot.opened_view()
    assert view["callback_id"] == "credits_picker"
    assert [block["block_id"] for block in view["blocks"]] == ["client", "since", "until", "last"]
    assert texts(options_for(bot, view, "jan")) == ["Jane Doe (Acme Ltd) · #42", "Janet Doe · #43"]
    assert texts(options_for(bot, view, "#42")) == ["Client #42"]
    assert texts(options_for(bot, view, "jane@example.com")) == ["Jane Doe (Acme Ltd) · #42"]
    reply = bot.submit(view, "42", since="2024-03-02")
    assert reply.status == 200 and reply.body == ""
    (message,) = slack.wait_for_calls("chat.postMessage", 1)
    assert message["channel"] == ALICE
    shown = {"text": message["text"], "blocks": message["blocks"]}
    assert message_problems(shown) == []
    assert "Jane Doe (Acme Ltd)" in all_text(shown)
    assert "*Total (since 2024-03-02)*\n`$-40.05 USD`" in all_text(shown)
    assert "credits_share" not in buttons(shown), "nobody to share with in a direct message"
    assert "credits_export" in buttons(shown)


def test_credits_alone_opens_the_picker_and_answers_where_it_was_typed(
    bot: BotUnderTest, slack: FakeSlack
) -> None:
    reply = bot.command("")
    assert reply.status == 200 and reply.body == ""
    view = bot.opened_view()
    assert slack.method_calls("views.open")[0]["trigger_id"] == f"1.2.{reply.key}"
    assert bot.submit(view, "42").status == 200
    answer = bot.answer(reply)
    assert answer["response_type"] == "ephemeral"
    assert "Credits of Jane Doe (Acme Ltd) (#42)" in answer["text"]
    assert "credits_share" in buttons(answer)
    assert slack.method_calls("chat.postMessage") == []


def test_help_still_explains(bot: BotUnderTest, slack: FakeSlack) -> None:
    assert "shows a WHMCS client's credit log" in bot.command("help").json()["text"]
    assert slack.method_calls("views.open") == []


def test_short_or_unusable_text_gets_a_hint_and_whmcs_is_not_asked(
    bot: BotUnderTest, whmcs: FakeWhmcs
) -> None:
    bot.shortcut()
    view = bot.opened_view()
    for typed in ("j", "", "  ", "@@", "0"):
        assert texts(options_for(bot, view, typed)) == [TYPE_MORE]
    assert whmcs.calls == []


def test_no_match_says_so_in_one_option(bot: BotUnderTest) -> None:
    bot.shortcut()
    assert texts(options_for(bot, bot.opened_view(), "zz")) == [
        "No client matches; try the start of a name or email"
    ]


def test_many_matches_stop_at_twenty_with_a_hint(bot: BotUnderTest, whmcs: FakeWhmcs) -> None:
    for number in range(100, 130):
        whmcs.clients[number] = client(
            number, first="Sam", last=f"Smith{number}", email=f"s{number}@example.com"
        )
    bot.shortcut()
    options = options_for(bot, bot.opened_view(), "sam")
    assert len(options) == 21
    assert options[-1] == {
        "text": {"type": "plain_text", "text": "and 10 more: type more to narrow"},
        "value": "none",
    }


def test_a_slow_whmcs_still_gets_an_answer_within_slacks_3_s(
    slack: FakeSlack, whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings
) -> None:
    whmcs.latency = 5
    patient = whmcs_settings.model_copy(update={"whmcs_timeout": 10})  # the default: WHMCS is waited for
    with running_bot(slack, patient) as bot:
        bot.shortcut()
        reply = bot.suggest(bot.opened_view(), "jan")
        assert reply.seconds < 3, "Slack drops an options answer after 3 s"
        assert texts(reply.json()["options"]) == [SLOW]


def test_a_failing_whmcs_says_so_in_one_option(bot: BotUnderTest, whmcs: FakeWhmcs) -> None:
    whmcs.queue(error("Something broke"), action="GetClients")
    bot.shortcut()
    assert texts(options_for(bot, bot.opened_view(), "jan")) == [FAILING]


def test_identical_searches_share_one_call_and_are_reused_for_a_minute(
    bot: BotUnderTest, whmcs: FakeWhmcs
) -> None:
    bot.shortcut()
    view = bot.opened_view()
    whmcs.hold()
    with ThreadPoolExecutor(3) as typing:
        first = typing.submit(bot.suggest, view, "jan")
        assert whmcs.wait_for_calls(1, "GetClients") == 1
        others = [typing.submit(bot.suggest, view, typed) for typed in ("Jan", " jan ")]
        whmcs.release()
        replies = [first.result(), *(other.result() for other in others)]
    assert all(texts(reply.json()["options"])[0] == "Jane Doe (Acme Ltd) · #42" for reply in replies)
    assert texts(options_for(bot, view, "JAN"))[0] == "Jane Doe (Acme Ltd) · #42"
    assert len(whmcs.actions("GetClients")) == 1


def test_a_stranger_is_refused_at_every_step_and_whmcs_never_called(
    bot: BotUnderTest, whmcs: FakeWhmcs, slack: FakeSlack
) -> None:
    bot.shortcut(user=MALLORY)
    denied = bot.opened_view()
    assert "callback_id" not in denied
    assert "You're not allowed to look up billing credits" in denied["blocks"][0]["text"]["text"]
    bot.shortcut()
    picker = bot.opened_view(count=2)
    (only,) = options_for(bot, picker, "jan", user=MALLORY)
    assert only["value"] == "none" and "not allowed" in only["text"]["text"]
    refused = bot.submit(picker, "42", user=MALLORY).json()
    assert refused["response_action"] == "update"
    assert "You're not allowed" in refused["view"]["blocks"][0]["text"]["text"]
    bot.settle()
    assert whmcs.calls == []
    assert slack.method_calls("chat.postMessage") == []


def test_a_group_member_is_checked_with_slack_and_answered(bot: BotUnderTest, slack: FakeSlack) -> None:
    bot.shortcut(user=BOB)
    view = bot.opened_view()
    assert view["callback_id"] == "credits_picker"
    assert texts(options_for(bot, view, "jan", user=BOB))[0] == "Jane Doe (Acme Ltd) · #42"
    bot.submit(view, "42", user=BOB)
    (message,) = slack.wait_for_calls("chat.postMessage", 1)
    assert message["channel"] == BOB


def test_a_submission_without_a_client_or_with_bad_filters_shows_errors(
    bot: BotUnderTest, whmcs: FakeWhmcs
) -> None:
    bot.shortcut()
    view = bot.opened_view()
    assert bot.submit(view, None).json() == {
        "response_action": "errors",
        "errors": {"client": "Pick a client from the list (type 2 letters, an id or an email)."},
    }
    assert set(bot.submit(view, "none").json()["errors"]) == {"client"}
    errors = bot.submit(view, "42", since="2024-05-01", until="2024-04-01", last="lots").json()["errors"]
    assert set(errors) == {"until", "last"}
    bot.settle()
    assert whmcs.actions("GetCredits") == []


def test_the_rate_limit_counts_submits_and_searches_that_reach_whmcs(
    slack: FakeSlack, whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings
) -> None:
    with running_bot(slack, whmcs_settings, credits_rate_limit=2) as bot:
        bot.shortcut()
        view = bot.opened_view()
        options_for(bot, view, "jan")  # 1: reached WHMCS
        options_for(bot, view, "jan")  # reused: not counted
        options_for(bot, view, "42")  # an id: WHMCS not asked, not counted
        assert bot.submit(view, "42").body == ""  # 2
        (limited,) = options_for(bot, view, "sam")
        assert limited["value"] == "none" and "lookups in 10 minutes" in limited["text"]["text"]
        refused = bot.submit(view, "42").json()
        assert refused["response_action"] == "update"
        bot.settle()
    assert len(whmcs.actions("GetClients")) == 1
    assert len(whmcs.actions("GetCredits")) == 1


def test_an_expired_trigger_is_logged_and_the_command_told(bot: BotUnderTest, slack: FakeSlack) -> None:
    body, key = bot.command_form("")
    slack.used_triggers.add(f"1.2.{key}")  # Slack answers invalid_trigger_id for a used or expired one
    bot.post(body, signed_headers(body), key)
    (answer,) = slack.wait_for_responses(key)
    assert "couldn't open the client picker" in answer["text"]
