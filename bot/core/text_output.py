"""Plain-text and JSON views of a credit log, for the command line.

Amounts in the table and the JSON are plain numbers (`PLAIN.money`, `1234.56`), rounded as everywhere else,
so that scripts can read them; only the heading writes money in the client's currency.
"""

from __future__ import annotations

from typing import Any

from bot.core.clients import PLAIN
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
    return lines


def log_as_table(view: CreditView) -> str:
    shown = view.shown
    rows = [
        (
            entry.date.isoformat(),
            clip(entry.description, DESCRIPTION_WIDTH),
            PLAIN.money(entry.amount),
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
    lines.append(
        f"{shown.count} entries{view.filters.label}; total {PLAIN.money(shown.total)} "
        f"(credits in {PLAIN.money(shown.credits_in)}, credits out {PLAIN.money(shown.credits_out)})"
    )
    if view.filters.active:
        lines.append(f"All-time: {view.log.count} entries; total {PLAIN.money(view.log.total)}")
    return "\n".join(lines)


def log_as_json(view: CreditView) -> dict[str, Any]:
    """Amounts as strings, so that no JSON reader turns them into floats."""
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
        },
        "filters": view.filters.describe() or None,
        "count": shown.count,
        "total": PLAIN.money(shown.total),
        "credits_in": PLAIN.money(shown.credits_in),
        "credits_out": PLAIN.money(shown.credits_out),
        "all_time_count": view.log.count,
        "all_time_total": PLAIN.money(view.log.total),
        "notes": list(view.notes),
        "entries": [
            {
                "id": entry.id,
                "date": entry.date.isoformat(),
                "description": entry.description,
                "amount": str(entry.amount),
                "invoice_id": entry.invoice_id,
            }
            for entry in shown.entries
        ],
    }
