"""A page of entries as Slack's `table` block, sent in the message's `attachments`, with today's rendering
kept beside it as the fallback.

Whether Slack accepts a table in every kind of answer (an ephemeral `response_url` post in particular)
cannot be checked from here, so a message with a table carries its fallback under FALLBACK: the sender
strips it, and resends it once should Slack refuse the table. Cells are `raw_text` (no mrkdwn, so nothing
from WHMCS needs escaping) except the invoice, a `rich_text` link; the amount column is right-aligned.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.core.blocks import DESCRIPTION_LIMIT, NO_DATE, UNREADABLE_AMOUNT, AdminLinks, Message
from bot.core.credits import CreditEntry
from bot.core.mrkdwn import clip
from bot.core.slack_limits import MAX_TABLE_CELL_TEXT
from bot.core.views import CreditView

FALLBACK = "credits_fallback"
"""The key of the message without a table, inside a message that has one; never sent to Slack."""
REFUSED_TABLE = frozenset({"invalid_attachments", "invalid_blocks"})
"""What Slack says when it will not take a message's blocks or attachments."""
HEADER = ("Date", "Description", "Amount", "Invoice")
COLUMNS = [{"is_wrapped": False}, {"is_wrapped": True}, {"align": "right"}, {"align": "left"}]

Cell = dict[str, Any]


def raw(text: str) -> Cell:
    return {"type": "raw_text", "text": clip(text, MAX_TABLE_CELL_TEXT) or " "}


def invoice_cell(entry: CreditEntry, links: AdminLinks) -> Cell:
    if not entry.invoice_id:
        return raw(" ")
    link = {"type": "link", "url": links.invoice(entry.invoice_id), "text": f"#{entry.invoice_id}"}
    return {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": [link]}]}


def entries_table(entries: Sequence[CreditEntry], view: CreditView, links: AdminLinks) -> dict[str, Any]:
    """The header row, then one row an entry: date, description, signed amount, invoice."""
    rows = [[raw(title) for title in HEADER]]
    for entry in entries:
        money = None if entry.amount is None else view.currency.money(entry.amount, signed=True)
        rows.append(
            [
                raw(NO_DATE if entry.date is None else entry.date.isoformat()),
                raw(clip(entry.description, DESCRIPTION_LIMIT)),
                raw(UNREADABLE_AMOUNT if money is None else money),
                invoice_cell(entry, links),
            ]
        )
    return {"type": "table", "column_settings": COLUMNS, "rows": rows}


def with_table(
    fallback: Message, entries: Sequence[CreditEntry], view: CreditView, links: AdminLinks
) -> Message:
    """`fallback` (today's answer) with its entry sections replaced by a table in `attachments`."""
    blocks: list[dict[str, Any]] = fallback["blocks"]
    divider = next((n for n, block in enumerate(blocks) if block.get("type") == "divider"), None)
    if not entries or divider is None:
        return fallback
    kept = blocks[:divider] + blocks[divider + 1 + len(entries) :]  # the page's sections follow the divider
    return {
        "text": fallback["text"],
        "blocks": kept,
        "attachments": [{"blocks": [entries_table(entries, view, links)]}],
        FALLBACK: fallback,
    }


def sendable(message: Message) -> Message:
    """What goes to Slack: the message without the fallback it carries."""
    return {key: value for key, value in message.items() if key != FALLBACK}
