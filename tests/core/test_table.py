"""Entries as Slack's table block: aligned columns, today's rendering kept as the fallback, Slack's limits."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bot.core.blocks import credit_log_message
from bot.core.credits import CreditEntry, CreditLog
from bot.core.slack_limits import message_problems
from bot.core.table import FALLBACK, entries_table, sendable, with_table
from bot.core.views import PAGE_SIZE, CreditView
from tests.core.test_blocks import JANE, LINKS, USD, log_of


def tabled(view: CreditView) -> dict:  # type: ignore[type-arg]
    fallback = credit_log_message(view, LINKS, allow_share=True)
    return with_table(fallback, view.shown.entries[view.offset : view.offset + PAGE_SIZE], view, LINKS)


def test_a_page_becomes_one_table_with_the_amounts_right_aligned() -> None:
    view = CreditView(log_of(30), details=JANE, currency=USD)
    message = tabled(view)
    (attachment,) = message["attachments"]
    (table,) = attachment["blocks"]
    assert table["type"] == "table"
    assert table["column_settings"][2] == {"align": "right"}
    assert [cell["text"] for cell in table["rows"][0]] == ["Date", "Description", "Amount", "Invoice"]
    assert len(table["rows"]) == 1 + PAGE_SIZE
    newest = view.shown.entries[0]
    assert [cell["text"] for cell in table["rows"][1][:3]] == [
        str(newest.date),
        newest.description,
        "+$1.00 USD",
    ]
    assert not any(block["type"] == "divider" for block in message["blocks"])
    assert message["blocks"][0] == message[FALLBACK]["blocks"][0], "the header stays"
    assert message["blocks"][-1]["type"] == "actions", "the buttons stay"
    assert message_problems(sendable(message)) == []
    assert FALLBACK not in sendable(message)
    assert message[FALLBACK] == credit_log_message(view, LINKS, allow_share=True)


def test_invoices_are_links_and_unreadable_values_say_so() -> None:
    log = CreditLog.of(
        42,
        [CreditEntry(1, None, "<b>Used</b>", None, 88), CreditEntry(2, date(2024, 1, 1), "", Decimal("-1"))],
    )
    table = entries_table(list(log.entries), CreditView(log), LINKS)
    second, first = table["rows"][1], table["rows"][2]  # newest first, the undated last
    assert [cell["text"] for cell in first[:3]] == ["no date", "<b>Used</b>", "amount unreadable"]
    link = first[3]["elements"][0]["elements"][0]
    assert link == {
        "type": "link",
        "url": "https://billing.example.com/admin/invoices.php?action=edit&id=88",
        "text": "#88",
    }
    assert second[1]["text"] == " " and second[3] == {"type": "raw_text", "text": " "}


def test_without_entries_there_is_no_table() -> None:
    view = CreditView(CreditLog.of(42, []))
    fallback = credit_log_message(view, LINKS)
    assert with_table(fallback, [], view, LINKS) is fallback


def test_the_checker_covers_tables() -> None:
    row = [{"type": "raw_text", "text": "x"}]
    table = {"type": "table", "rows": [row] * 101}
    message = {
        "text": "t",
        "blocks": [],
        "attachments": [{"blocks": [table, {"type": "table", "rows": [row]}]}],
    }
    problems = message_problems(message)
    assert "2 tables (at most 1 a message)" in problems
    assert "table: 101 rows (1 to 100)" in problems
    wide = {
        "text": "t",
        "attachments": [
            {
                "blocks": [
                    {
                        "type": "table",
                        "rows": [
                            row * 21,
                            [{"type": "mrkdwn", "text": "x"}],
                            [{"type": "raw_text", "text": ""}],
                        ],
                    }
                ]
            }
        ],
    }
    assert len(message_problems(wide)) == 3
