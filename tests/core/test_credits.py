"""The credit log model: order, exact totals, invoice ids, and what filters keep and say."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.credits import NO_FILTERS, CreditEntry, CreditLog, Filters, invoice_id_for, unreadable_note


def credit(entry_id: int, day: str, amount: str, description: str = "x") -> CreditEntry:
    return CreditEntry(entry_id, date.fromisoformat(day), description, Decimal(amount))


LOG = CreditLog.of(
    42,
    [
        credit(1, "2024-01-10", "10.00"),
        credit(2, "2024-02-10", "-2.50"),
        credit(3, "2024-03-10", "0.10"),
        credit(4, "2024-03-10", "-0.20"),
        credit(5, "2024-04-10", "5.00"),
    ],
)


def test_newest_first_and_ties_broken_by_the_higher_id() -> None:
    assert [entry.id for entry in LOG.entries] == [5, 4, 3, 2, 1]


def test_totals_are_exact_decimals() -> None:
    assert LOG.count == 5
    assert LOG.total == Decimal("12.40")
    assert LOG.credits_in == Decimal("15.10")
    assert LOG.credits_out == Decimal("-2.70")
    assert all(isinstance(value, Decimal) for value in (LOG.total, LOG.credits_in, LOG.credits_out))


def test_an_empty_log_totals_zero_with_two_places() -> None:
    empty = CreditLog.of(7, [])
    assert (empty.count, str(empty.total), str(empty.credits_in), str(empty.credits_out)) == (
        0,
        "0.00",
        "0.00",
        "0.00",
    )


def test_invoice_from_relid_first_then_from_the_description() -> None:
    assert invoice_id_for(12, "Credit from Invoice #99") == 12
    assert invoice_id_for(0, "Credit from Invoice #99") == 99
    assert invoice_id_for(0, "overpayment on invoice   # 1234") == 1234
    assert invoice_id_for(0, "INVOICE#7 applied") == 7
    assert invoice_id_for(0, "Manual top-up") is None
    assert invoice_id_for(-1, "Reinvoice #5") is None, "a whole word only"
    assert invoice_id_for(0, "Invoice #12345678901") is None, "more digits than an invoice id has"


def test_no_filters_keep_the_very_same_log() -> None:
    assert not NO_FILTERS.active
    assert NO_FILTERS.apply(LOG) is LOG
    assert NO_FILTERS.describe() == ""
    assert NO_FILTERS.label == ""


def test_dates_are_inclusive_and_the_newest_are_kept_by_last() -> None:
    kept = Filters(since=date(2024, 2, 10), until=date(2024, 3, 10)).apply(LOG)
    assert [entry.id for entry in kept.entries] == [4, 3, 2]
    assert kept.total == Decimal("-2.60")
    assert kept.client_id == 42
    newest = Filters(since=date(2024, 2, 10), last=2).apply(LOG)
    assert [entry.id for entry in newest.entries] == [5, 4]
    assert Filters(until=date(2023, 12, 31)).apply(LOG).entries == ()


def test_filters_describe_themselves_in_order() -> None:
    filters = Filters(since=date(2024, 1, 1), until=date(2024, 6, 30), last=1500)
    assert filters.active
    assert filters.describe() == "since 2024-01-01, until 2024-06-30, last 1,500"
    assert filters.label == " (since 2024-01-01, until 2024-06-30, last 1,500)"
    assert Filters(last=5).label == " (last 5)"


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


rows = st.lists(
    st.builds(
        CreditEntry,
        st.one_of(st.none(), st.integers(0, 5)),
        st.one_of(st.none(), st.sampled_from([date(2024, 1, 1), date(2024, 1, 2), date(2023, 12, 31)])),
        st.sampled_from(["a", "b"]),
        st.just(Decimal("1.00")),
        st.none(),
        st.integers(1, 50),
    ),
    max_size=30,
)


@given(rows)
def test_the_log_is_newest_first_ties_on_id_then_kept_in_the_order_sent(entries: list[CreditEntry]) -> None:
    """Two stable sorts (issue 13 §2) give the order of one sort on (date, id), undated and id-less rows
    last, rows equal on both in the order WHMCS sent them."""

    def key(entry: CreditEntry) -> tuple[date, int]:
        return (entry.date or date.min, -1 if entry.id is None else entry.id)

    assert CreditLog.of(1, entries).entries == tuple(sorted(entries, key=key, reverse=True))
