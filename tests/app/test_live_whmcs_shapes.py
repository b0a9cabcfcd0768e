"""The corpus of live WHMCS reply bodies (tests/fakes/corpus.py) end to end: signed `/credits` requests into
the real app, the loopback WHMCS sending those bodies, what the person sees in Slack."""

from __future__ import annotations

import pytest

from bot.core.slack_limits import message_problems
from tests.fakes import corpus
from tests.fakes.corpus import CLIENT, NOT_WHMCS, TYPED, WRAPPED, Shape
from tests.fakes.whmcs import FakeWhmcs, Reply, client, entry, invoices
from tests.slack_harness import BotUnderTest, all_text


@pytest.fixture(autouse=True)
def known_client(whmcs: FakeWhmcs) -> None:
    whmcs.clients[CLIENT] = client(CLIENT, credit="60.05")


def credits_of(bot: BotUnderTest, text: str = str(CLIENT)) -> str:
    answer = bot.answer(bot.command(text))
    assert message_problems(answer) == []
    return all_text(answer)


@pytest.mark.parametrize("shape", WRAPPED, ids=lambda shape: shape.name)
def test_php_messages_around_the_json_still_give_the_log(
    bot: BotUnderTest, whmcs: FakeWhmcs, shape: Shape
) -> None:
    """Before issue 12: "WHMCS can't be reached right now", which sent people away."""
    whmcs.queue(Reply(shape.body, content_type=shape.content_type))
    text = credits_of(bot)
    assert "*Total*\n`$60.05 USD`" in text
    assert "`$-40.05 USD`  2024-03-05  Credit Applied to Invoice #88" in text
    assert "can't be reached" not in text


def test_every_call_behind_php_messages_works(bot: BotUnderTest, whmcs: FakeWhmcs) -> None:
    whmcs.set_credits(CLIENT, list(corpus.TWO_ENTRIES))
    whmcs.php_output = corpus.DEPRECATED_HTML + corpus.WARNING_HTML
    text = credits_of(bot, "jane")
    assert "*Jane Doe (Acme Ltd)*" in text and "*Balance in WHMCS*\n`$60.05 USD`" in text


@pytest.mark.parametrize("shape", NOT_WHMCS, ids=lambda shape: shape.name)
def test_a_body_that_is_not_a_whmcs_reply_still_says_so(
    bot: BotUnderTest, whmcs: FakeWhmcs, shape: Shape
) -> None:
    whmcs.queue(Reply(shape.body, content_type=shape.content_type))
    assert credits_of(bot).startswith("WHMCS can't be reached right now")


def test_one_bad_row_never_hides_the_log(bot: BotUnderTest, whmcs: FakeWhmcs) -> None:
    """Before issue 12: "WHMCS answered with something unexpected", every time."""
    whmcs.set_credits(CLIENT, [*corpus.TWO_ENTRIES, corpus.ZERO_DATE, corpus.UNREADABLE_AMOUNT])
    text = credits_of(bot)
    assert "*Total (incomplete)*\n`$65.05 USD`" in text
    assert "*Entries*\n4" in text
    assert "The totals are incomplete: the amount of entry id 8 could not be read" in text
    assert "`amount unreadable`  2024-03-02  Imported balance" in text
    assert "`+$5.00 USD`  no date  Goodwill credit" in text
    assert "The log sums to" not in text, "an incomplete sum is not compared with the balance"
    assert text.index("Imported balance") < text.index("Prepaid top-up") < text.index("Goodwill credit")


def test_the_descriptions_whmcs_writes_link_the_invoices_that_exist(
    bot: BotUnderTest, whmcs: FakeWhmcs
) -> None:
    rows = [
        entry(position, f"2024-01-{position:02d}", description, "1.00", relid)
        for position, (description, relid, _, _) in enumerate(corpus.WHMCS_DESCRIPTIONS, start=1)
    ]
    whmcs.set_credits(CLIENT, rows)
    text = credits_of(bot)
    for description, _, invoice, note in corpus.WHMCS_DESCRIPTIONS:
        assert description in text
        if invoice is not None:
            assert f"invoices.php?action=edit&amp;id={invoice}|Invoice #{invoice}>" in text, note
    assert "id=66|" not in text, "a deleted invoice has no page to link to"


def test_ids_as_strings_from_php_before_8_1(bot: BotUnderTest, whmcs: FakeWhmcs) -> None:
    whmcs.queue(Reply(corpus.whmcs_body(corpus.STRING_IDS)))
    text = credits_of(bot)
    assert "*Total*\n`$60.05 USD`" in text and "Invoice #88>" in text


def test_a_search_with_an_ampersand_is_sent_to_whmcs_as_typed(bot: BotUnderTest, whmcs: FakeWhmcs) -> None:
    """Slack sends `Smith &amp; Sons`; before issue 12 WHMCS was asked for exactly that."""
    whmcs.clients = {CLIENT: corpus.escaped_client()}
    whmcs.set_credits(CLIENT, [corpus.ESCAPED_ENTRY])
    reply = bot.command("Smith & Sons")
    assert reply.json()["text"] == "Searching WHMCS for clients matching 'Smith &amp; Sons'…"
    text = all_text(bot.answer(reply))
    assert [call["search"] for call in whmcs.actions("GetClients")] == ["Smith & Sons"]
    assert '*Seán O\'Brien (Smith &amp; Sons "Gold" &lt;Ltd&gt;)*' in text
    assert "o'brien+billing@example.com" in text
    assert "Refund &amp; goodwill for O'Brien's \"outage\" &lt;b&gt;" in text
    assert "&amp;amp;" not in text and "&#039;" not in text and "&quot;" not in text
    assert TYPED["company"] not in text, "what came from WHMCS is escaped for mrkdwn, once"


def test_slack_markup_for_an_email_is_the_email(bot: BotUnderTest, whmcs: FakeWhmcs) -> None:
    whmcs.set_credits(CLIENT, list(corpus.TWO_ENTRIES))
    reply = bot.command("<mailto:jane@example.com|jane@example.com>", escaped=True)
    assert reply.json()["text"] == "Looking up the client with email jane@example.com…"
    assert "*Total*\n`$60.05 USD`" in all_text(bot.answer(reply))
    assert [call["email"] for call in whmcs.actions("GetClientsDetails")] == ["jane@example.com"]


def test_no_flag_is_sent_as_false(bot: BotUnderTest, whmcs: FakeWhmcs) -> None:
    """WHMCS reads "false" as true: before issue 12 every lookup made it compute the client's statistics
    unasked. Since issue 14 the answer shows the unpaid invoices, so `stats` is asked for, as "1", once per
    lookup, in the details call the answer makes anyway."""
    whmcs.set_credits(CLIENT, list(corpus.TWO_ENTRIES))
    credits_of(bot)
    credits_of(bot, "jane@example.com")
    details = whmcs.actions("GetClientsDetails")
    assert len(details) == 2 and all(call["stats"] == "1" for call in details)
    assert whmcs.stats_computed == 2
    assert not [call for call in whmcs.calls for value in call.values() if value.lower() in ("false", "0")]


def test_the_unpaid_invoices_come_with_the_details_and_link_to_the_invoice_list(
    bot: BotUnderTest, whmcs: FakeWhmcs
) -> None:
    whmcs.set_credits(CLIENT, list(corpus.TWO_ENTRIES))
    whmcs.invoice_stats[CLIENT] = invoices(3, "$120.00 USD", 1, "$40.00 USD")
    text = credits_of(bot)
    assert (
        f"clientsinvoices.php?userid={CLIENT}|Unpaid: 3 invoices, $120.00 USD · Overdue: 1, $40.00 USD>"
        in text
    )
    assert [call["action"] for call in whmcs.calls].count("GetClientsDetails") == 1, "no extra call"


def test_a_whmcs_that_sends_no_statistics_gets_no_word_about_invoices(
    bot: BotUnderTest, whmcs: FakeWhmcs
) -> None:
    whmcs.set_credits(CLIENT, list(corpus.TWO_ENTRIES))
    details = {"result": "success", **whmcs.clients[CLIENT], "client": whmcs.clients[CLIENT]}
    whmcs.queue(Reply(details), action="GetClientsDetails")
    text = credits_of(bot)
    assert "Jane Doe" in text
    assert "clientsinvoices.php" not in text and "Unpaid" not in text
