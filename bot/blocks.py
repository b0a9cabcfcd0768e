"""Pure rendering of credit logs and failures as Slack messages, within Slack's limits.

Everything that came from WHMCS is escaped (`&`, `<`, `>`), so a description such as `<!channel>` or
`<https://evil|bank>` shows as text instead of pinging a channel or disguising a link.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from bot.credits import CreditEntry, CreditLog

PAGE_SIZE = 20
DESCRIPTION_LIMIT = 300
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_TOTAL_TEXT = 12_000
MAX_FALLBACK_TEXT = 4000

Message = dict[str, Any]
InvoiceLink = Callable[[int], str]


def escape(text: str) -> str:
    """Slack's three control characters; nothing else needs escaping in mrkdwn text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip_escaped(text: str, limit: int) -> str:
    """Escape, then shorten to `limit` characters without cutting an escape sequence in half."""
    flat = " ".join(text.split())
    escaped = escape(flat)
    if len(escaped) <= limit:
        return escaped
    kept, used = [], 0
    for char in flat:
        piece = escape(char)
        if used + len(piece) > limit - 1:
            break
        kept.append(piece)
        used += len(piece)
    return "".join(kept) + "…"


def signed(amount: Decimal) -> str:
    """Two decimals with an explicit sign, so credit in and out read apart at a glance."""
    return f"{amount:+.2f}"


def count_text(number: int) -> str:
    return f"{number:,}"


def _entry_block(entry: CreditEntry, invoice_link: InvoiceLink) -> dict[str, Any]:
    description = clip_escaped(entry.description, DESCRIPTION_LIMIT)
    line = f"`{signed(entry.amount)}`  {entry.date.isoformat()}  {description}"
    if entry.invoice_id:
        line += f"  <{escape(invoice_link(entry.invoice_id))}|Invoice #{entry.invoice_id}>"
    return {"type": "section", "text": {"type": "mrkdwn", "text": line}}


def _field(label: str, value: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": f"*{label}*\n{value}"}


def credit_log_message(log: CreditLog, invoice_link: InvoiceLink, *, page_size: int = PAGE_SIZE) -> Message:
    """The private answer to `/credits`: header, totals over every entry, then the newest `page_size`."""
    title = f"Credits of client #{log.client_id}"
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": title}}]
    if not log.entries:
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"Client #{log.client_id} has no credit entries. Total: `{signed(log.total)}`",
                },
            }
        )
        return {"text": f"Client #{log.client_id} has no credit entries (total 0.00)", "blocks": blocks}
    blocks.append(
        {
            "type": "section",
            "fields": [
                _field("Total", f"`{signed(log.total)}`"),
                _field("Entries", count_text(log.count)),
                _field("Credits in", f"`{signed(log.credits_in)}`"),
                _field("Credits out", f"`{signed(log.credits_out)}`"),
            ],
        }
    )
    shown = log.entries[:page_size]
    if len(shown) < log.count:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"Showing {count_text(len(shown))} of {count_text(log.count)} entries, "
                        "newest first. The total covers every entry.",
                    }
                ],
            }
        )
    blocks.append({"type": "divider"})
    blocks.extend(_entry_block(entry, invoice_link) for entry in shown)
    text = f"Client #{log.client_id}: {count_text(log.count)} credit entries, total {signed(log.total)}"
    return {"text": text, "blocks": blocks}


def notice(text: str) -> Message:
    """A short private message (usage, denial, failure): plain text is enough and always renders."""
    return {"text": text}


def message_problems(message: Message) -> list[str]:
    """Every Slack limit this message breaks; empty when Slack will accept it."""
    problems: list[str] = []
    text = message.get("text")
    if not isinstance(text, str) or not text:
        problems.append("no top-level text fallback")
    elif len(text) > MAX_FALLBACK_TEXT:
        problems.append("top-level text too long")
    blocks = message.get("blocks", [])
    if len(blocks) > MAX_BLOCKS:
        problems.append(f"{len(blocks)} blocks (at most {MAX_BLOCKS})")
    total = 0
    tables = 0
    for index, block in enumerate(blocks):
        kind = block.get("type")
        if kind == "header" and len(block["text"]["text"]) > MAX_HEADER_TEXT:
            problems.append(f"block {index}: header over {MAX_HEADER_TEXT} characters")
        if kind == "section":
            section_text = block.get("text", {}).get("text", "")
            if len(section_text) > MAX_SECTION_TEXT:
                problems.append(f"block {index}: section text over {MAX_SECTION_TEXT} characters")
            fields = block.get("fields", [])
            if len(fields) > MAX_FIELDS:
                problems.append(f"block {index}: {len(fields)} fields (at most {MAX_FIELDS})")
            if any(len(item["text"]) > MAX_FIELD_TEXT for item in fields):
                problems.append(f"block {index}: a field over {MAX_FIELD_TEXT} characters")
            if not section_text and not fields:
                problems.append(f"block {index}: section without text or fields")
        if kind == "table":
            tables += 1
            if len(block.get("rows", [])) > 100:
                problems.append(f"block {index}: table over 100 rows")
        total += _text_length(block)
    if tables > 1:
        problems.append("more than one table block")
    if total > MAX_TOTAL_TEXT:
        problems.append(f"{total} characters of block text (at most about {MAX_TOTAL_TEXT})")
    return problems


def _text_length(value: object) -> int:
    if isinstance(value, dict):
        return sum(_text_length(item) for key, item in value.items() if key not in ("type", "style"))
    if isinstance(value, list):
        return sum(_text_length(item) for item in value)
    return len(value) if isinstance(value, str) else 0
