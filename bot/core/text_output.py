"""Plain-text and JSON views of a credit log, for the command line.

Amounts in the table and the JSON are plain numbers (`PLAIN.money`, `1234.56`), rounded as everywhere else,
so that scripts can read them; only the heading writes money in the client's currency.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from bot.core.blocks import NO_DATE, UNREADABLE_AMOUNT, incomplete
from bot.core.clients import PLAIN
from bot.core.credits import CreditEntry, CreditLog, unreadable_note
from bot.core.mrkdwn import clip
from bot.core.views import CreditView

DESCRIPTION_WIDTH = 60


def client_heading(view: CreditView) -> list[str]:
    details = view.details
    if details is None:
        return [f"Credit log of client #{view.client_id}"]
    parts = [details.name, f"#{view.client_id}", details.email, details.status]
    lines = ["Credit log of " + " · ".join(part for part in parts if part)]
    if details.credit is not None:
        lines.append(f"Balance in WHMCS: {view.currency.money(details.credit)}")
        if view.differing_balance is not None:
            lines.append(
                f"Warning: the log sums to {view.currency.money(view.log.total)}; "
                f"WHMCS's balance is {view.currency.money(details.credit)}"
            )
    if details.invoices is not None:
        lines.append(details.invoices.summary())
    return lines


def totals_line(log: CreditLog, label: str) -> str:
    """`3 entries; total 7.50 (credits in …, credits out …)`, and what an incomplete total leaves out."""
    line = (
        f"{log.count} entries{label}; total{incomplete(log)} {PLAIN.money(log.total)} "
        f"(credits in {PLAIN.money(log.credits_in)}, credits out {PLAIN.money(log.credits_out)})"
    )
    return line if log.complete else f"{line}: {unreadable_note(log.totals.unreadable)}"


def log_as_table(view: CreditView) -> str:
    shown = view.shown
    rows = [
        (
            NO_DATE if entry.date is None else entry.date.isoformat(),
            clip(entry.description, DESCRIPTION_WIDTH),
            UNREADABLE_AMOUNT if entry.amount is None else PLAIN.money(entry.amount),
            f"#{entry.invoice_id}" if entry.invoice_id else "",
        )
        for entry in shown.entries
    ]
    header = ("date", "description", "amount", "invoice")
    widths = [max([len(header[i])] + [len(row[i]) for row in rows]) for i in range(4)]

    def line(cells: tuple[str, str, str, str]) -> str:
        return "  ".join(
            (cells[i].rjust(widths[i]) if i == 2 else cells[i].ljust(widths[i])) for i in range(4)
        ).rstrip()

    lines = client_heading(view) + [f"Note: {note}" for note in view.notes]
    if rows:
        lines += [line(header), line(("-" * widths[0], "-" * widths[1], "-" * widths[2], "-" * widths[3]))]
        lines += [line(row) for row in rows]
    else:
        lines.append("No credit entries.")
    lines.append(totals_line(shown, view.filters.label))
    if view.filters.active:
        lines.append(
            f"All-time: {view.log.count} entries; total{incomplete(view.log)} {PLAIN.money(view.log.total)}"
        )
    return "\n".join(lines)


def _unreadable(log: CreditLog) -> list[dict[str, int | None]]:
    return [{"id": entry.id, "position": entry.position} for entry in log.totals.unreadable]


def _entry_json(entry: CreditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "date": None if entry.date is None else entry.date.isoformat(),
        "description": entry.description,
        "amount": None if entry.amount is None else str(entry.amount),
        "invoice_id": entry.invoice_id,
    }


def log_as_json(view: CreditView) -> dict[str, Any]:
    """Amounts as strings, so that no JSON reader turns them into floats. A date or amount that could not be
    read is null; `total_complete` is false when a total leaves such amounts out, and `unreadable_amounts`
    names their rows (`id`, or null, and `position` in WHMCS's reply)."""
    shown = view.shown
    details = view.details
    return {
        "client_id": view.client_id,
        "client": None
        if details is None
        else {
            "name": details.name,
            "email": details.email,
            "status": details.status,
            "balance": None if details.credit is None else PLAIN.money(details.credit),
            "currency": view.currency.code or details.currency_code or None,
            "invoices": None if details.invoices is None else asdict(details.invoices),
        },
        "filters": view.filters.describe() or None,
        "count": shown.count,
        "total": PLAIN.money(shown.total),
        "credits_in": PLAIN.money(shown.credits_in),
        "credits_out": PLAIN.money(shown.credits_out),
        "total_complete": shown.complete,
        "unreadable_amounts": _unreadable(shown),
        "all_time_count": view.log.count,
        "all_time_total": PLAIN.money(view.log.total),
        "all_time_total_complete": view.log.complete,
        "notes": list(view.notes),
        "entries": [_entry_json(entry) for entry in shown.entries],
    }
