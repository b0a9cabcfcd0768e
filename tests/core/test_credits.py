"""The credit log model: which invoice a row links, totals computed once and knowing when incomplete."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.core.credits import CreditEntry, CreditLog, invoice_id_for, unreadable_note


@pytest.mark.parametrize(
    ("relid", "description", "invoice"),
    [
        (0, "Credit Applied to Invoice #12", 12),
        (0, "Credit from Refund of Invoice ID 7", 7),
        (0, "Credit Removed on deletion of Invoice #66", None),
        (66, "Credit Removed on deletion of Invoice #66", None),
        (5, "Invoice #5 Overpayment", 5),
        (0, "Invoice #5 Overpayment", 5),
        (0, "Credit Removed - Reason: Order status changed to Cancelled - Invoice #9", 9),
        (0, "Goodwill, see invoice # 31", 31),
        (0, "Invoice #99999999999", None),
        (0, "Manual credit", None),
        (0, "Credit Applied to Invoice #", None),
    ],
)
def test_the_invoice_a_row_links(relid: int, description: str, invoice: int | None) -> None:
    assert invoice_id_for(relid, description) == invoice


def row(entry_id: int | None, amount: str | None, day: date | None = date(2024, 1, 1)) -> CreditEntry:
    return CreditEntry(entry_id, day, "x", None if amount is None else Decimal(amount), None, entry_id or 9)


def test_totals_leave_out_unreadable_amounts_and_say_so() -> None:
    log = CreditLog.of(1, [row(1, "10.00"), row(2, None), row(3, "-2.50"), row(None, None)])
    assert (log.total, log.credits_in, log.credits_out) == (
        Decimal("7.50"),
        Decimal("10.00"),
        Decimal("-2.50"),
    )
    assert not log.complete
    assert unreadable_note(log.totals.unreadable) == (
        "the amounts of entry id 2 and entry 9 of WHMCS's reply could not be read"
    )


def test_a_note_names_five_rows_and_counts_the_rest() -> None:
    rows = tuple(row(n, None) for n in range(1, 9))
    assert unreadable_note(rows) == (
        "the amounts of entry id 1, entry id 2, entry id 3, entry id 4, entry id 5 and 3 more "
        "could not be read"
    )


def test_rows_without_a_date_or_id_sort_oldest() -> None:
    log = CreditLog.of(1, [row(1, "1", None), row(2, "1"), row(None, "1"), row(3, "1", date(2025, 1, 1))])
    assert [(e.id, e.date) for e in log.entries] == [
        (3, date(2025, 1, 1)),
        (2, date(2024, 1, 1)),
        (None, date(2024, 1, 1)),
        (1, None),
    ]
