"""Issue 13 §1, §2 through the running app: a WHMCS that never finishes its reply, or sends one too large,
ends a lookup with one sentence within its bound, frees what it held, and a large valid log still works."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest

from bot.settings import WhmcsSettings
from tests.fakes.slack import FakeSlack
from tests.fakes.whmcs import FakeWhmcs, Reply, client, credits_reply, entry
from tests.slack_harness import all_text, buttons, running_bot

TIMEOUT = 1.0


def trickled() -> Reply:
    return Reply(credits_reply(42, [entry(1, "2024-01-01", "Top-up", "10.00")]), trickle=0.2)


def test_a_trickling_whmcs_ends_the_lookup_at_the_deadline_and_frees_its_slot(
    slack: FakeSlack, whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings
) -> None:
    """BOT_CONCURRENCY=1 gives WHMCS two slots; the stuck lookup holds both (its log and its details) until
    the deadline, then the lookup queued behind it is answered."""
    whmcs.set_credits(43, [entry(1, "2024-01-01", "Top-up", "5.00")])
    whmcs.clients[43] = client(43)
    settings = whmcs_settings.model_copy(update={"whmcs_timeout": TIMEOUT})
    with running_bot(slack, settings, bot_concurrency=1) as bot:
        # A process that has answered before (credentials proven, currencies cached), so that the stuck
        # lookup's two calls are the two trickled replies.
        assert "Jane Doe" in all_text(bot.answer(bot.command("43")))
        whmcs.queue(trickled(), trickled(), action=None)
        whmcs.calls.clear()
        started = time.monotonic()
        stuck = bot.command("42")
        whmcs.wait_for_calls(2)
        healthy = bot.command("43")
        stuck_answer = bot.answer(stuck)
        assert time.monotonic() - started < TIMEOUT + 3
        assert stuck_answer["text"] == "WHMCS didn't answer within 1 s, try again shortly."
        assert "Jane Doe" in all_text(bot.answer(healthy))
        assert time.monotonic() - started < 2 * TIMEOUT + 3


def test_details_that_never_finish_leave_the_log_with_a_note(
    slack: FakeSlack, whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings
) -> None:
    """The concurrent GetClientsDetails is bounded too: the log comes, and says who could not be loaded."""
    whmcs.set_credits(42, [entry(1, "2024-01-01", "Top-up", "10.00")])
    whmcs.queue(trickled(), action="GetClientsDetails")
    settings = whmcs_settings.model_copy(update={"whmcs_timeout": TIMEOUT})
    with running_bot(slack, settings) as bot:
        started = time.monotonic()
        answer = all_text(bot.answer(bot.command("42")))
        assert time.monotonic() - started < TIMEOUT + 3
    assert "could not be loaded from WHMCS just now" in answer
    assert "$10.00" in answer or "10.00" in answer


def test_a_reply_over_the_limit_is_too_large_to_show_and_the_log_says_its_size(
    slack: FakeSlack, whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings, caplog: pytest.LogCaptureFixture
) -> None:
    def endless_spaces() -> Iterator[bytes]:
        yield b'{"result":"success","credits":{"credit":['
        while True:
            yield b" " * 65536

    whmcs.queue(Reply(None, chunks=endless_spaces))
    settings = whmcs_settings.model_copy(update={"whmcs_max_reply_mb": 2})
    with caplog.at_level(logging.WARNING), running_bot(slack, settings) as bot:
        answer = bot.answer(bot.command("42"))
        bot.settle()
    assert answer["text"].startswith("This credit log is too large to show here")
    failed = [record.fields for record in caplog.records if record.getMessage() == "whmcs_failed"]  # type: ignore[attr-defined]
    assert [fields["kind"] for fields in failed] == ["WhmcsReplyTooLarge"]
    assert failed[0]["detail"].startswith("reply over 2 MB (at least 2,0")


def test_a_log_of_200000_entries_answers_pages_and_exports(
    slack: FakeSlack, whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings
) -> None:
    """About 29 MB of WHMCS JSON, under the default limit of 50 MB. The loopback WHMCS takes seconds to
    encode it, as a real one takes to query and encode it: the timeout here leaves room for that."""
    rows = [
        entry(n, "2024-01-01", f"Credit Applied to Invoice #{n}", "-1.00", relid=n) for n in range(200_000)
    ]
    whmcs.set_credits(42, rows)
    whmcs.clients[42] = client(42)
    with running_bot(slack, whmcs_settings.model_copy(update={"whmcs_timeout": 60})) as bot:
        answer = bot.answer(bot.command("42"), timeout=60)
        assert "200,000" in all_text(answer)
        older = bot.click(buttons(answer)["credits_older"])
        assert "Invoice #199979" in all_text(bot.answer(older, timeout=60))
        exported = bot.click(buttons(answer)["credits_export"])
        assert "200,000 entries" in all_text(bot.answer(exported, timeout=60))
