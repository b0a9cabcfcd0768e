"""Finding a client by email or name, who they are, their balance and currency, over real HTTP."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis

from bot.core.blocks import SHOW_ACTION
from bot.core.login_budget import accepted
from bot.core.slack_limits import message_problems
from bot.settings import WhmcsSettings
from bot.state.login_ledger import RedisLoginLedger
from tests.fakes.slack import FakeSlack
from tests.fakes.whmcs import FakeWhmcs, Reply, client, entry
from tests.redis_server import redis_server
from tests.slack_harness import MALLORY, BotUnderTest, all_text, buttons, running_bot
from tests.waiting import until

EUR = {"id": 2, "code": "EUR", "prefix": "€", "suffix": " EUR", "format": 3, "rate": "0.9"}
GBP = {"id": 3, "code": "GBP", "prefix": "£", "suffix": "", "format": 4, "rate": "0.8"}


@pytest.fixture
def acme(whmcs: FakeWhmcs) -> FakeWhmcs:
    whmcs.currencies = [whmcs.currencies[0], EUR, GBP]
    whmcs.clients[42] = client(42, credit="60.05")
    whmcs.set_credits(
        42,
        [
            entry(1, "2024-03-01", "Top-up", "100.10"),
            entry(2, "2024-03-05", "Credit Applied to Invoice #88", "-40.05"),
        ],
    )
    whmcs.clients[43] = client(
        43, first="John", last="Smith", company="Acme Hosting", email="john@acme.example"
    )
    whmcs.set_credits(43, [])
    whmcs.clients[44] = client(44, first="Zoe", last="Zed", company="Zeta", email="zoe@zeta.example")
    whmcs.set_credits(44, [entry(3, "2024-01-01", "Top-up", "5.00")])
    return whmcs


def test_by_id_shows_who_the_client_is(bot: BotUnderTest, acme: FakeWhmcs) -> None:
    answer = bot.answer(bot.command("#42"))
    text = all_text(answer)
    assert "*Jane Doe (Acme Ltd)* · <" in text
    assert "/admin/clientssummary.php?userid=42|#42> · jane@example.com · Active" in text
    assert "*Balance in WHMCS*\n`$60.05 USD`" in text
    assert "`+$100.10 USD`" in text and "`$-40.05 USD`" in text  # issue 12: the minus after the prefix
    assert ":warning:" not in text
    assert message_problems(answer) == []


def test_credits_and_details_are_fetched_at_the_same_time(bot: BotUnderTest, acme: FakeWhmcs) -> None:
    acme.latency = 0.5
    bot.answer(bot.command("42"))
    assert acme.most_in_flight >= 2
    assert {call["action"] for call in acme.calls} == {"GetCredits", "GetClientsDetails", "GetCurrencies"}


def test_the_first_lookup_after_a_start_sends_its_three_calls_together(
    slack: FakeSlack, acme: FakeWhmcs, whmcs_settings: WhmcsSettings, tmp_path: Path
) -> None:
    """Issue 15 §2: with the currency cache cold, GetCurrencies goes with the other two, not after them,
    so the first answer after a deploy takes one WHMCS round trip. The shared record says an earlier
    process saw WHMCS accept the credentials (issue 12 §8: unproven, one call would go first)."""
    with redis_server(tmp_path) as redis_url:
        RedisLoginLedger(redis.Redis.from_url(redis_url)).update(lambda record: (None, accepted(record)))
        with running_bot(slack, whmcs_settings, redis_url=redis_url) as bot:
            acme.hold()
            reply = bot.command("42")
            try:
                until(lambda: acme.in_flight == 3, "all three requests waiting on WHMCS at the same moment")
            finally:
                acme.release()
            text = all_text(bot.answer(reply))
    assert "*Total*\n`$60.05 USD`" in text
    assert {call["action"] for call in acme.calls} == {"GetCredits", "GetClientsDetails", "GetCurrencies"}


def test_by_email(bot: BotUnderTest, acme: FakeWhmcs) -> None:
    reply = bot.command("john@acme.example")
    assert reply.json()["text"] == "Looking up the client with email john@acme.example…"
    text = all_text(bot.answer(reply))
    assert "*John Smith (Acme Hosting)*" in text
    assert "Client #43 has no credit entries" in text
    assert acme.actions("GetClientsDetails")[0]["email"] == "john@acme.example"


def test_unknown_email(bot: BotUnderTest, acme: FakeWhmcs) -> None:
    answer = bot.answer(bot.command("nobody@example.com"))
    assert answer["text"] == "No client nobody@example.com in WHMCS."
    assert acme.actions("GetCredits") == []


def test_search_with_one_match_answers_with_its_log(bot: BotUnderTest, acme: FakeWhmcs) -> None:
    text = all_text(bot.answer(bot.command("Zoe Zed")))
    assert "*Zoe Zed (Zeta)*" in text
    assert acme.actions("GetClients")[0] == {
        **acme.actions("GetClients")[0],
        "search": "Zoe Zed",
        "limitnum": "10",
    }


def test_search_with_no_match(bot: BotUnderTest, acme: FakeWhmcs) -> None:
    assert bot.answer(bot.command("nothing here"))["text"] == "No client matches 'nothing here'."


def test_search_with_several_matches_offers_buttons(bot: BotUnderTest, acme: FakeWhmcs) -> None:
    choices = bot.answer(bot.command("acme"))
    text = all_text(choices)
    assert "2 clients match 'acme'" in text
    assert "*Jane Doe* · Acme Ltd · jane@example.com · #42 · Active" in text
    assert message_problems(choices) == []
    shown = buttons(choices)
    assert set(shown) == {f"{SHOW_ACTION}_0", f"{SHOW_ACTION}_1"}
    reply = bot.click(shown[f"{SHOW_ACTION}_1"])
    assert reply.status == 200
    answer = bot.answer(reply)
    assert answer["replace_original"] is True
    assert "*John Smith (Acme Hosting)*" in all_text(answer)


def test_more_than_ten_matches(bot: BotUnderTest, whmcs: FakeWhmcs) -> None:
    for n in range(1, 18):
        whmcs.clients[n] = client(n, first=f"Sam{n}", last="Same", email=f"sam{n}@example.com")
    choices = bot.answer(bot.command("sam"))
    assert len(buttons(choices)) == 10
    assert "and 7 more: refine your search" in all_text(choices)
    assert message_problems(choices) == []


def test_a_strangers_click_is_refused(bot: BotUnderTest, acme: FakeWhmcs) -> None:
    choices = bot.answer(bot.command("acme"))
    calls_before = len(acme.calls)
    reply = bot.click(buttons(choices)[f"{SHOW_ACTION}_0"], user=MALLORY)
    assert reply.status == 200
    answer = bot.answer(reply)
    assert answer["text"].startswith("You're not allowed to look up billing credits")
    assert answer["replace_original"] is False
    assert len(acme.calls) == calls_before


def test_a_forged_button_value_is_refused(bot: BotUnderTest, acme: FakeWhmcs) -> None:
    answer = bot.answer(bot.click({"action_id": f"{SHOW_ACTION}_0", "value": "42|0|||; DROP"}))
    assert answer["text"] == "That button is no longer valid; run `/credits` again."
    assert acme.calls == []


def test_balance_mismatch_is_said_plainly(bot: BotUnderTest, acme: FakeWhmcs) -> None:
    acme.clients[42]["credit"] = "12.50"
    text = all_text(bot.answer(bot.command("42")))
    assert ":warning: The log sums to $60.05 USD; WHMCS's balance is $12.50 USD." in text


@pytest.mark.parametrize(("currency", "total"), [(1, "$60.05 USD"), (2, "€60,05 EUR"), (3, "£60")])
def test_amounts_in_the_clients_currency(
    bot: BotUnderTest, acme: FakeWhmcs, currency: int, total: str
) -> None:
    acme.clients[42].update(currency=currency, credit="60.05")
    assert f"*Total*\n`{total}`" in all_text(bot.answer(bot.command("42")))


def test_currencies_are_asked_once(bot: BotUnderTest, acme: FakeWhmcs) -> None:
    bot.answer(bot.command("42"))
    bot.answer(bot.command("42"))
    assert len(acme.actions("GetCurrencies")) == 1


def test_lookups_missing_the_currency_cache_together_share_one_failing_call(
    bot: BotUnderTest, acme: FakeWhmcs
) -> None:
    failing = Reply("<html>Bad gateway</html>", status=502, content_type="text/html", delay=1.0)
    acme.queue(failing, failing, action="GetCurrencies")
    with ThreadPoolExecutor(3) as senders:
        replies = list(senders.map(lambda client_id: bot.command(client_id), ["42", "43", "44"]))
    for reply in replies:
        assert "amounts use the currency code" in all_text(bot.answer(reply))
    assert len(acme.actions("GetCurrencies")) == 2, "one call and its one retry, shared by all three"


def test_role_without_client_details_still_shows_the_log(
    slack: FakeSlack, acme: FakeWhmcs, whmcs_settings: WhmcsSettings
) -> None:
    acme.denied_actions.add("GetClientsDetails")
    with running_bot(slack, whmcs_settings) as bot:
        text = all_text(bot.answer(bot.command("42")))
    assert "*Total*\n`60.05`" in text
    assert "does not allow `getclientsdetails`, so the client's name and balance are not shown" in text


def test_role_without_client_search_says_what_is_missing(bot: BotUnderTest, acme: FakeWhmcs) -> None:
    acme.denied_actions.add("GetClients")
    answer = bot.answer(bot.command("acme"))
    assert answer["text"].startswith("The bot's WHMCS API role does not allow the `getclients` action")


def test_details_failing_still_shows_the_log_with_a_plain_note(bot: BotUnderTest, acme: FakeWhmcs) -> None:
    page = Reply("<html>Bad gateway</html>", status=502, content_type="text/html")
    acme.queue(page, page, action="GetClientsDetails")
    text = all_text(bot.answer(bot.command("42")))
    assert "*Total*\n`60.05`" in text
    assert "The client's name and balance could not be loaded from WHMCS just now." in text
    assert "Unavailable" not in text
