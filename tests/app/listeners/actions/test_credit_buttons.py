"""Long credit logs: paging, filters, CSV export to a private message, and sharing on purpose."""

from __future__ import annotations

import csv
import io
import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from bot.core.blocks import (
    EXPORT_ACTION,
    NEWER_ACTION,
    OLDER_ACTION,
    SHARE_ACTION,
    AdminLinks,
    credit_log_message,
    summary_message,
)
from bot.core.clients import ClientDetails
from bot.core.commands import Invalid, Lookup, parse_command
from bot.core.credits import NO_FILTERS, CreditEntry, CreditLog, Filters
from bot.core.csv_export import credit_log_csv, csv_filename, neutralise
from bot.core.slack_limits import MAX_FALLBACK_TEXT, message_problems
from bot.core.views import CreditView, ViewRef
from bot.settings import WhmcsSettings
from tests.fakes.slack import FakeSlack
from tests.fakes.whmcs import FakeWhmcs, client, entry
from tests.slack_harness import CHANNEL, MALLORY, BotUnderTest, all_text, buttons, running_bot

LINKS = AdminLinks("https://billing.example.com/admin")
NASTY = [
    '=HYPERLINK("http://evil.example")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\tTab",
    "\rReturn",
    "<!channel> & <@U1>",
    'Ünïcødé, "quoted"\nnew line',
]


def big_log(count: int = 10_000) -> CreditLog:
    rng = random.Random(6)
    day = date(2010, 1, 1)
    entries = []
    for entry_id in range(1, count + 1):
        day += timedelta(days=rng.randint(0, 1))
        description = (
            rng.choice(NASTY) if entry_id % 97 == 0 else f"Entry {entry_id} " + "x" * rng.randint(0, 400)
        )
        cents = rng.randint(-500_000, 500_000)
        entries.append(
            CreditEntry(
                entry_id, day, description, Decimal(cents).scaleb(-2), rng.choice([None, entry_id + 1000])
            )
        )
    return CreditLog.of(77, entries)


def test_every_page_of_ten_thousand_entries_is_valid_and_paging_visits_each_entry_once() -> None:
    log = big_log()
    view = CreditView(log)
    seen: list[CreditEntry] = []
    pages = 0
    while True:
        message = credit_log_message(view, LINKS, allow_share=True)
        assert message_problems(message) == [], view.offset
        seen.extend(view.shown.entries[view.offset : view.offset + 20])
        pages += 1
        older = buttons(message).get(OLDER_ACTION)
        if older is None:
            break
        ref = ViewRef.decode(older["value"])
        assert ref is not None
        view = CreditView(log, ref.filters, ref.offset)
    assert pages == 500
    assert [e.id for e in seen] == [e.id for e in log.entries]
    back: list[CreditEntry] = []
    while True:
        back[:0] = view.shown.entries[view.offset : view.offset + 20]
        newer = buttons(credit_log_message(view, LINKS)).get(NEWER_ACTION)
        if newer is None:
            break
        ref = ViewRef.decode(newer["value"])
        assert ref is not None
        view = CreditView(log, ref.filters, ref.offset)
    assert back == seen


@pytest.mark.parametrize(
    "value",
    [
        "4_2|0|||",
        "42| +0|||",
        "42|+0|||",
        "42|1_0|||",
        "42|0|2024-06-30|2024-01-01|",
        "42|0|||1_000",
        "42|0|20240101||",
        "0|0|||",
        "42|10000001|||",
    ],
)
def test_button_values_are_read_by_the_rules_of_typed_text(value: str) -> None:
    assert ViewRef.decode(value) is None


def test_button_value_round_trips() -> None:
    ref = ViewRef(42, 20, Filters(date(2024, 1, 1), date(2024, 6, 30), 5))
    assert ref.encode() == "42|20|2024-01-01|2024-06-30|5"
    assert ViewRef.decode(ref.encode()) == ref
    assert ViewRef.decode("42|0|2024-01-01|2024-01-01|") == ViewRef(
        42, 0, Filters(date(2024, 1, 1), date(2024, 1, 1))
    )


def test_fallback_text_stays_within_slack_limit_after_escaping() -> None:
    details = ClientDetails(7, "&" * 3000, "", "", "", "", Decimal("0.00"), None, "")
    view = CreditView(CreditLog.of(7, []), details=details)
    for message in (credit_log_message(view, LINKS), summary_message(view, LINKS, "U0ALICE")):
        assert message_problems(message) == []
        assert MAX_FALLBACK_TEXT - 5 < len(message["text"]) <= MAX_FALLBACK_TEXT
        assert "&" not in message["text"].removesuffix("…").replace("&amp;", "")


def test_csv_round_trips_exactly_and_neutralises_formulas() -> None:
    log = big_log()
    rows = list(csv.DictReader(io.StringIO(credit_log_csv(log), newline="")))
    assert len(rows) == log.count
    assert sum((Decimal(row["amount"]) for row in rows), Decimal(0)) == log.total
    for row, original in zip(rows, log.entries, strict=True):
        assert int(row["id"]) == original.id
        assert Decimal(row["amount"]) == original.amount
        description = row["description"]
        if original.description.startswith(("=", "+", "-", "@", "\t", "\r")):
            assert description == "'" + original.description
        else:
            assert description == original.description
        assert row["invoice_id"] == (str(original.invoice_id) if original.invoice_id else "")


@pytest.mark.parametrize(
    ("filters", "name"),
    [
        (NO_FILTERS, "credits-client-42.csv"),
        (Filters(last=1000), "credits-client-42-last-1000.csv"),
        (
            Filters(date(2024, 1, 1), date(2024, 6, 30), 50),
            "credits-client-42-since-2024-01-01-until-2024-06-30-last-50.csv",
        ),
    ],
)
def test_csv_file_name_names_the_filters(filters: Filters, name: str) -> None:
    assert csv_filename(CreditLog.of(42, []), filters) == name


def test_filter_label_only_when_filtered() -> None:
    assert NO_FILTERS.label == ""
    assert Filters(since=date(2024, 1, 1), last=1000).label == " (since 2024-01-01, last 1,000)"


@pytest.mark.parametrize(
    ("text", "filters"),
    [
        ("42 since 2024-01-01", Filters(since=date(2024, 1, 1))),
        ("42 until 2024-06-30", Filters(until=date(2024, 6, 30))),
        ("42 since 2024-01-01 until 2024-06-30", Filters(date(2024, 1, 1), date(2024, 6, 30))),
        ("#42 LAST 50", Filters(last=50)),
        ("Last Minute Ltd last 5", Filters(last=5)),
    ],
)
def test_filter_words(text: str, filters: Filters) -> None:
    parsed = parse_command(text)
    assert isinstance(parsed, Lookup)
    assert parsed.filters == filters


def test_filters_show_labelled_and_all_time_totals(bot: BotUnderTest, whmcs: FakeWhmcs) -> None:
    whmcs.clients[42] = client(42, credit="111.00")
    whmcs.set_credits(
        42,
        [
            entry(1, "2023-12-31", "old", "100.00"),
            entry(2, "2024-01-01", "new", "10.00"),
            entry(3, "2024-07-01", "later", "1.00"),
        ],
    )
    answer = bot.answer(bot.command("42 since 2024-01-01 until 2024-06-30"))
    text = all_text(answer)
    assert "*Total (since 2024-01-01, until 2024-06-30)*\n`$10.00 USD`" in text
    assert "*All-time total*\n`$111.00 USD` (3 entries)" in text
    assert "Showing 1 of 1 entries (since 2024-01-01, until 2024-06-30), newest first." in text
    assert "2024-01-01  new" in text and "old" not in text.replace("older", "")
    assert buttons(answer)[EXPORT_ACTION]["value"] == "42|0|2024-01-01|2024-06-30|"


def test_bad_filters_get_usage_without_calling_whmcs(bot: BotUnderTest, whmcs: FakeWhmcs) -> None:
    for text in ("42 since 2024-02-30", "42 last", "42 until soon", "42 last -3", "42 since 2024-W01-1"):
        reply = bot.command(text)
        assert "Usage: `/credits 42`" in reply.json()["text"], text
    assert whmcs.calls == []
    assert isinstance(parse_command("42 since"), Invalid)


def test_paging_buttons_over_http(bot: BotUnderTest, whmcs: FakeWhmcs) -> None:
    whmcs.set_credits(42, [entry(n, f"2024-01-{1 + n % 28:02d}", f"Entry {n}", "1.00") for n in range(1, 46)])
    first = bot.answer(bot.command("42"))
    assert NEWER_ACTION not in buttons(first)
    second = bot.answer(bot.click(buttons(first)[OLDER_ACTION]))
    assert second["replace_original"] is True
    assert "Showing 20 of 45 entries, 21 to 40, newest first." in all_text(second)
    third = bot.answer(bot.click(buttons(second)[OLDER_ACTION]))
    assert "Showing 5 of 45 entries, 41 to 45" in all_text(third)
    assert OLDER_ACTION not in buttons(third)
    back = bot.answer(bot.click(buttons(third)[NEWER_ACTION]))
    assert "21 to 40" in all_text(back)
    stranger = bot.answer(bot.click(buttons(third)[NEWER_ACTION], user=MALLORY))
    assert stranger["text"].startswith("You're not allowed")


def test_export_sends_the_whole_filtered_log_privately(
    bot: BotUnderTest, whmcs: FakeWhmcs, slack: FakeSlack
) -> None:
    rows = [entry(n, "2024-02-01", NASTY[n % len(NASTY)], f"{n}.25") for n in range(1, 121)]
    whmcs.set_credits(42, rows)
    answer = bot.answer(bot.command("42 last 100"))
    reply = bot.click(buttons(answer)[EXPORT_ACTION])
    note = bot.answer(reply)
    assert note["replace_original"] is False
    assert note["text"] == "Sent you the CSV of client #42 (100 entries) in a direct message."
    (upload,) = slack.method_calls("files.getUploadURLExternal")
    assert upload["filename"] == "credits-client-42-last-100.csv"
    (opened,) = slack.method_calls("conversations.open")
    assert opened["users"] == "U0ALICE"
    (completed,) = slack.method_calls("files.completeUploadExternal")
    assert completed["channel_id"] == "D0ALICE"
    assert slack.method_calls("chat.postMessage") == []
    (content,) = [data for data in slack.uploads.values() if data]
    exported = list(csv.DictReader(io.StringIO(content.decode("utf-8"), newline="")))
    assert len(exported) == 100
    assert [int(row["id"]) for row in exported] == list(range(120, 20, -1))
    for row in exported:
        assert row["description"] == neutralise(NASTY[int(row["id"]) % len(NASTY)])
        assert row["amount"] == f"{row['id']}.25"


def test_share_posts_a_summary_without_entries(bot: BotUnderTest, whmcs: FakeWhmcs, slack: FakeSlack) -> None:
    whmcs.clients[42] = client(42, credit="3.00")
    whmcs.set_credits(42, [entry(1, "2024-01-01", "secret project", "3.00")])
    answer = bot.answer(bot.command("42"))
    note = bot.answer(bot.click(buttons(answer)[SHARE_ACTION]))
    assert note["text"] == "Shared the summary in this channel."
    (posted,) = slack.method_calls("chat.postMessage")
    assert posted["channel"] == CHANNEL
    shared = all_text({"text": posted["text"], "blocks": posted["blocks"]})
    assert "shared by <@U0ALICE>" in shared
    assert "`$3.00 USD`" in shared
    assert "secret project" not in shared


def test_share_where_the_bot_cannot_post(bot: BotUnderTest, whmcs: FakeWhmcs, slack: FakeSlack) -> None:
    whmcs.set_credits(42, [entry(1, "2024-01-01", "x", "3.00")])
    slack.not_in_channels.add(CHANNEL)
    answer = bot.answer(bot.command("42"))
    note = bot.answer(bot.click(buttons(answer)[SHARE_ACTION]))
    assert note["text"] == "I can't post in this channel. Invite me with `/invite @credits` first."


def test_no_share_button_when_sharing_is_off(
    slack: FakeSlack, whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings
) -> None:
    whmcs.set_credits(42, [entry(1, "2024-01-01", "x", "3.00")])
    with running_bot(slack, whmcs_settings, credits_allow_share=False) as bot:
        answer = bot.answer(bot.command("42"))
        assert SHARE_ACTION not in buttons(answer)
        forged = bot.answer(bot.click({"action_id": SHARE_ACTION, "value": "42|0|||"}))
    assert forged["text"] == "Sharing is turned off for this workspace."
    assert slack.method_calls("chat.postMessage") == []
