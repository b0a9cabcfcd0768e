"""Issue 15 §1: the buttons under an answer are served from what its lookup fetched, for 2 minutes, for the
person who looked it up: no WHMCS call, and the answer says as of when."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bot.app.view_cache import KEEP_SECONDS
from bot.core.blocks import EXPORT_ACTION, NEWER_ACTION, OLDER_ACTION, SHARE_ACTION
from bot.settings import WhmcsSettings
from tests.fakes.clock import FakeClock
from tests.fakes.slack import FakeSlack
from tests.fakes.whmcs import FakeWhmcs, client, entry
from tests.slack_harness import BOB, BotUnderTest, all_text, buttons, running_bot

START = datetime(2026, 12, 2, 9, 41, 30, tzinfo=UTC).timestamp()
AS_OF = "As of 09:41 UTC, from your lookup; `/credits 42` asks WHMCS again."


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def kept_bot(slack: FakeSlack, whmcs_settings: WhmcsSettings, clock: FakeClock) -> Iterator[BotUnderTest]:
    with running_bot(slack, whmcs_settings, clock=clock) as running:
        yield running


@pytest.fixture
def long_log(whmcs: FakeWhmcs) -> FakeWhmcs:
    whmcs.clients[42] = client(42, credit="45.00")
    whmcs.set_credits(42, [entry(n, f"2024-01-{1 + n % 28:02d}", f"Entry {n}", "1.00") for n in range(1, 46)])
    return whmcs


def test_paging_asks_whmcs_nothing_and_says_as_of_when(kept_bot: BotUnderTest, long_log: FakeWhmcs) -> None:
    first = kept_bot.answer(kept_bot.command("42"))
    asked = len(long_log.calls)
    assert AS_OF not in all_text(first), "a typed /credits is current: no 'as of'"
    second = kept_bot.answer(kept_bot.click(buttons(first)[OLDER_ACTION]))
    back = kept_bot.answer(kept_bot.click(buttons(second)[NEWER_ACTION]))
    assert len(long_log.calls) == asked, "no WHMCS call for a page"
    assert "Showing 20 of 45 entries, 21 to 40, newest first." in all_text(second)
    assert "*Jane Doe (Acme Ltd)*" in all_text(second)
    assert "*Balance in WHMCS*\n`$45.00 USD`" in all_text(second)
    assert AS_OF in all_text(second) and AS_OF in all_text(back)
    assert all_text(back).count("As of") == 1, "the note is not repeated page after page"


def test_export_and_share_ask_whmcs_nothing_and_say_as_of_when(
    kept_bot: BotUnderTest, long_log: FakeWhmcs, slack: FakeSlack
) -> None:
    answer = kept_bot.answer(kept_bot.command("42 last 30"))
    asked = len(long_log.calls)
    exported = kept_bot.answer(kept_bot.click(buttons(answer)[EXPORT_ACTION]))
    shared = kept_bot.answer(kept_bot.click(buttons(answer)[SHARE_ACTION]))
    assert len(long_log.calls) == asked
    assert exported["text"] == "Sent you the CSV of client #42 (30 entries) in a direct message."
    (completed,) = slack.method_calls("files.completeUploadExternal")
    assert completed["initial_comment"] == (
        "Credit log of client #42: 30 entries (last 30), as of 09:41 UTC."
    )
    assert shared["text"] == "Shared the summary in this channel."
    (posted,) = slack.method_calls("chat.postMessage")
    assert "Figures as of 09:41 UTC" in all_text({"text": posted["text"], "blocks": posted["blocks"]})


def test_a_typed_command_always_asks_whmcs_again(kept_bot: BotUnderTest, long_log: FakeWhmcs) -> None:
    kept_bot.answer(kept_bot.command("42"))
    long_log.set_credits(42, [entry(99, "2025-01-01", "Newest", "5.00")])
    again = kept_bot.answer(kept_bot.command("42"))
    assert len(long_log.actions("GetCredits")) == 2
    assert "Newest" in all_text(again)
    older_log = kept_bot.answer(kept_bot.click({"action_id": OLDER_ACTION, "value": "42|0|||"}))
    assert len(long_log.actions("GetCredits")) == 2
    assert "Newest" in all_text(older_log), "the press is served from the latest lookup"


def test_another_person_is_not_served_someone_elses_lookup(
    kept_bot: BotUnderTest, long_log: FakeWhmcs
) -> None:
    first = kept_bot.answer(kept_bot.command("42"))
    page = kept_bot.answer(kept_bot.click(buttons(first)[OLDER_ACTION], user=BOB))
    assert len(long_log.actions("GetCredits")) == 2, "Bob's press asked WHMCS itself"
    assert "As of" not in all_text(page)
    assert "21 to 40" in all_text(page)


def test_another_client_is_not_served_from_the_lookup(kept_bot: BotUnderTest, long_log: FakeWhmcs) -> None:
    long_log.set_credits(43, [entry(1, "2024-01-01", "Other", "2.00")])
    kept_bot.answer(kept_bot.command("42"))
    other = kept_bot.answer(kept_bot.click({"action_id": OLDER_ACTION, "value": "43|0|||"}))
    assert [call["clientid"] for call in long_log.actions("GetCredits")] == ["42", "43"]
    assert "Other" in all_text(other)


def test_after_two_minutes_a_press_asks_whmcs_again(
    kept_bot: BotUnderTest, long_log: FakeWhmcs, clock: FakeClock
) -> None:
    first = kept_bot.answer(kept_bot.command("42"))
    clock.advance(KEEP_SECONDS - 1)
    kept_bot.answer(kept_bot.click(buttons(first)[OLDER_ACTION]))
    assert len(long_log.actions("GetCredits")) == 1
    clock.advance(1)
    late = kept_bot.answer(kept_bot.click(buttons(first)[OLDER_ACTION]))
    assert len(long_log.actions("GetCredits")) == 2
    assert not re.search("As of", all_text(late)), "fetched afresh: current, no 'as of'"
    kept_bot.answer(kept_bot.click(buttons(late)[NEWER_ACTION]))
    assert len(long_log.actions("GetCredits")) == 2, "what the late press fetched is kept in turn"
