"""Pure rendering of credit logs, client choices and notices as Slack messages, within Slack's limits.

Everything that came from WHMCS is escaped (`&`, `<`, `>`), so a description such as `<!channel>` or
`<https://evil|bank>` shows as text instead of pinging a channel or disguising a link.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.core.clients import ClientMatch
from bot.core.commands import SEARCH_LIMIT
from bot.core.credits import CreditEntry, CreditLog, Filters, unreadable_note
from bot.core.mrkdwn import clip, clip_escaped, escape
from bot.core.slack_limits import MAX_BUTTON_TEXT, MAX_FALLBACK_TEXT
from bot.core.views import PAGE_SIZE, CreditView, ViewRef

DESCRIPTION_LIMIT = 300
NO_DATE = "no date"
UNREADABLE_AMOUNT = "amount unreadable"

SHOW_ACTION = "credits_show"
NEWER_ACTION = "credits_newer"
OLDER_ACTION = "credits_older"
EXPORT_ACTION = "credits_export"
SHARE_ACTION = "credits_share"

Message = dict[str, Any]
Block = dict[str, Any]


@dataclass(frozen=True, slots=True)
class AdminLinks:
    """Links into the WHMCS admin area, e.g. `https://billing.example.com/admin`."""

    admin_base: str

    def invoice(self, invoice_id: int) -> str:
        return f"{self.admin_base}/invoices.php?action=edit&id={invoice_id}"

    def client(self, client_id: int) -> str:
        return f"{self.admin_base}/clientssummary.php?userid={client_id}"

    def client_invoices(self, client_id: int) -> str:
        """The Invoices tab of the client's profile in WHMCS admin."""
        return f"{self.admin_base}/clientsinvoices.php?userid={client_id}"


def link(url: str, label: str) -> str:
    return f"<{escape(url)}|{escape(label)}>"


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": clip(text, MAX_BUTTON_TEXT)},
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    return element


def client_line(view: CreditView, links: AdminLinks) -> str:
    """`Jane Doe (Acme Ltd) · #42 · jane@example.com · Active`, the id linked to the client in WHMCS admin."""
    id_link = link(links.client(view.client_id), f"#{view.client_id}")
    details = view.details
    if details is None:
        return f"*Client* {id_link}"
    parts = [f"*{clip_escaped(details.name, 200)}*", id_link]
    parts += [clip_escaped(value, 200) for value in (details.email, details.status) if value]
    line = " · ".join(parts)
    invoices = invoice_line(view, links)
    return f"{line}\n{invoices}" if invoices else line


def invoice_line(view: CreditView, links: AdminLinks) -> str | None:
    """The client's unpaid and overdue invoices, linked to their invoice list in WHMCS admin; None when
    WHMCS sent no statistics (the API role lacks them, or an older WHMCS), rather than a made-up "0"."""
    stats = None if view.details is None else view.details.invoices
    if stats is None:
        return None
    return link(links.client_invoices(view.client_id), stats.summary())


def _entry_block(entry: CreditEntry, view: CreditView, links: AdminLinks) -> Block:
    money = None if entry.amount is None else view.currency.money(entry.amount, signed=True)
    amount = UNREADABLE_AMOUNT if money is None else escape(money)
    day = NO_DATE if entry.date is None else entry.date.isoformat()
    line = f"`{amount}`  {day}  {clip_escaped(entry.description, DESCRIPTION_LIMIT)}"
    if entry.invoice_id:
        line += f"  {link(links.invoice(entry.invoice_id), f'Invoice #{entry.invoice_id}')}"
    return section(line)


def _field(label: str, value: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": f"*{label}*\n{value}"}


def incomplete(log: CreditLog) -> str:
    """` (incomplete)` after a sum that leaves out rows whose amount could not be read; else empty."""
    return "" if log.complete else " (incomplete)"


def _summary_fields(view: CreditView) -> list[dict[str, str]]:
    money = view.currency.money
    shown, whole = view.shown, view.log
    label = view.filters.label
    partial = incomplete(shown)
    fields = [
        _field(f"Total{label}{partial}", f"`{escape(money(shown.total))}`"),
        _field(f"Entries{label}", f"{shown.count:,}"),
        _field(f"Credits in{label}{partial}", f"`{escape(money(shown.credits_in))}`"),
        _field(f"Credits out{label}{partial}", f"`{escape(money(shown.credits_out))}`"),
    ]
    if view.filters.active:
        fields.append(
            _field(
                f"All-time total{incomplete(whole)}",
                f"`{escape(money(whole.total))}` ({whole.count:,} entries)",
            )
        )
    if view.details is not None and view.details.credit is not None:
        fields.append(_field("Balance in WHMCS", f"`{escape(money(view.details.credit))}`"))
    return fields


def balance_warning(view: CreditView) -> str | None:
    """Said plainly when WHMCS's balance is not the sum of the log (entries edited or removed by hand)."""
    balance = view.differing_balance
    if balance is None:
        return None
    money = view.currency.money
    return (
        f":warning: The log sums to {escape(money(view.log.total))}; WHMCS's balance is "
        f"{escape(money(balance))}. Entries may have been edited or removed by hand."
    )


def incomplete_warning(view: CreditView) -> str | None:
    """Said plainly when a total leaves out rows whose amount WHMCS sent in a form that cannot be read."""
    if view.log.complete:
        return None
    return (
        f":warning: The totals are incomplete: {escape(unreadable_note(view.log.totals.unreadable))}, "
        "so they are left out of every total. Check those entries in WHMCS."
    )


def _page_context(view: CreditView, page_count: int) -> str | None:
    total = view.shown.count
    if view.offset == 0 and page_count == total and not view.filters.active:
        return None
    if page_count == 0:
        return f"No entries past {view.offset:,}." if total else None
    where = f", {view.offset + 1:,} to {view.offset + page_count:,}" if view.offset else ""
    return f"Showing {page_count:,} of {total:,} entries{view.filters.label}{where}, newest first."


def _buttons(view: CreditView, page_count: int, allow_share: bool) -> list[Block]:
    elements = []
    if view.offset > 0:
        elements.append(button("◀ Newer", NEWER_ACTION, view.ref(max(0, view.offset - PAGE_SIZE)).encode()))
    if view.offset + page_count < view.shown.count:
        elements.append(button("Older ▶", OLDER_ACTION, view.ref(view.offset + PAGE_SIZE).encode()))
    if view.shown.count:
        elements.append(button("Export CSV", EXPORT_ACTION, view.ref(0).encode()))
    if allow_share:
        elements.append(button("Share in channel", SHARE_ACTION, view.ref(0).encode()))
    return [{"type": "actions", "elements": elements}] if elements else []


def credit_log_message(view: CreditView, links: AdminLinks, *, allow_share: bool = False) -> Message:
    """The private answer: who the client is, totals over every entry, then one page of entries."""
    shown = view.shown
    page = shown.entries[view.offset : view.offset + PAGE_SIZE]
    blocks: list[Block] = [section(client_line(view, links))]
    if not view.log.entries:
        blocks.append(
            section(
                f"Client #{view.client_id} has no credit entries. "
                f"Total: `{escape(view.currency.money(view.log.total))}`"
            )
        )
    else:
        blocks.append({"type": "section", "fields": _summary_fields(view)})
    for warning in (incomplete_warning(view), balance_warning(view)):
        if warning:
            blocks.append(section(warning))
    blocks.extend(context(note) for note in view.notes)
    if view.log.entries and not shown.entries:
        blocks.append(section(f"No entries {escape(view.filters.describe())}."))
    page_context = _page_context(view, len(page))
    if page_context:
        blocks.append(context(page_context))
    if page:
        blocks.append({"type": "divider"})
        blocks.extend(_entry_block(entry, view, links) for entry in page)
    blocks.extend(_buttons(view, len(page), allow_share))
    who = f"{view.details.name} (#{view.client_id})" if view.details else f"client #{view.client_id}"
    text = (
        f"Credits of {who}: {view.log.count:,} entries, "
        f"total{incomplete(view.log)} {view.currency.money(view.log.total)}"
    )
    return {"text": clip_escaped(text, MAX_FALLBACK_TEXT), "blocks": blocks}


def summary_message(view: CreditView, links: AdminLinks, shared_by: str) -> Message:
    """What "Share in channel" posts: who, how many entries, totals and balance; never the entries."""
    blocks: list[Block] = [
        section(client_line(view, links)),
        {"type": "section", "fields": _summary_fields(view)},
    ]
    for warning in (incomplete_warning(view), balance_warning(view)):
        if warning:
            blocks.append(section(warning))
    blocks.append(context(f"Credit summary shared by <@{shared_by}> with /credits"))
    who = view.details.name if view.details else f"client #{view.client_id}"
    text = (
        f"Credit summary of {who} (#{view.client_id}): "
        f"total{incomplete(view.log)} {view.currency.money(view.log.total)}"
    )
    return {"text": clip_escaped(text, MAX_FALLBACK_TEXT), "blocks": blocks}


def client_choices_message(query: str, matches: list[ClientMatch], total: int, filters: Filters) -> Message:
    """Several clients matched a search: one "Show credits" button each, at most SEARCH_LIMIT."""
    shown = matches[:SEARCH_LIMIT]
    blocks: list[Block] = [section(f"{total:,} clients match '{clip_escaped(query, 100)}'. Pick one:")]
    for position, match in enumerate(shown):
        parts = [f"*{clip_escaped(match.name, 120)}*"]
        parts += [clip_escaped(value, 150) for value in (match.companyname, match.email) if value]
        parts.append(f"#{match.id}")
        if match.status:
            parts.append(clip_escaped(match.status, 40))
        block = section(" · ".join(parts))
        block["accessory"] = button(
            "Show credits", f"{SHOW_ACTION}_{position}", ViewRef(match.id, 0, filters).encode()
        )
        blocks.append(block)
    if total > len(shown):
        blocks.append(context(f"and {total - len(shown):,} more: refine your search"))
    text = f"{total:,} clients match '{clip(query, 100)}'"
    return {"text": escape(text), "blocks": blocks}


def notice(text: str) -> Message:
    """A short private message (usage, denial, failure): plain text is enough and always renders."""
    return {"text": text}
