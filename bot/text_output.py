"""Plain-text and JSON views of a credit log, for the command line."""

from __future__ import annotations

from typing import Any

from bot.credits import CreditLog

DESCRIPTION_WIDTH = 60


def money(amount: object) -> str:
    """Two decimals, exactly: Decimal formatting never goes through float."""
    return f"{amount:.2f}"


def _clip(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def log_as_table(log: CreditLog) -> str:
    rows = [
        (
            entry.date.isoformat(),
            _clip(entry.description, DESCRIPTION_WIDTH),
            money(entry.amount),
            f"#{entry.invoice_id}" if entry.invoice_id else "",
        )
        for entry in log.entries
    ]
    header = ("date", "description", "amount", "invoice")
    widths = [max([len(header[i])] + [len(row[i]) for row in rows]) for i in range(4)]

    def line(cells: tuple[str, str, str, str]) -> str:
        return "  ".join(
            (cells[i].rjust(widths[i]) if i == 2 else cells[i].ljust(widths[i])) for i in range(4)
        ).rstrip()

    lines = [f"Credit log of client #{log.client_id}"]
    if rows:
        lines += [line(header), line(tuple("-" * w for w in widths))]  # type: ignore[arg-type]
        lines += [line(row) for row in rows]
    else:
        lines.append("No credit entries.")
    lines.append(
        f"{log.count} entries; total {money(log.total)} "
        f"(credits in {money(log.credits_in)}, credits out {money(log.credits_out)})"
    )
    return "\n".join(lines)


def log_as_json(log: CreditLog) -> dict[str, Any]:
    """Amounts as strings, so that no JSON reader turns them into floats."""
    return {
        "client_id": log.client_id,
        "count": log.count,
        "total": money(log.total),
        "credits_in": money(log.credits_in),
        "credits_out": money(log.credits_out),
        "entries": [
            {
                "id": entry.id,
                "date": entry.date.isoformat(),
                "description": entry.description,
                "amount": str(entry.amount),
                "invoice_id": entry.invoice_id,
            }
            for entry in log.entries
        ],
    }
