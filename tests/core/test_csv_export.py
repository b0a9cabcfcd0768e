"""The CSV export: exact amounts, formula-safe text, a header row, CRLF, and a file name from the filters."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.credits import NO_FILTERS, CreditEntry, CreditLog, Filters
from bot.core.csv_export import COLUMNS, CsvRows, credit_log_csv, csv_filename, encodable, neutralise


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Top-up = 5", "Top-up = 5"),
        ("", ""),
    ],
)
def test_cells_a_spreadsheet_would_run_get_a_leading_quote(text: str, safe: str) -> None:
    assert neutralise(text) == safe


def test_rows_newest_first_with_amounts_as_whmcs_holds_them() -> None:
    log = CreditLog.of(
        42,
        [
            CreditEntry(1, date(2024, 1, 1), '=HYPERLINK("x")', Decimal("10.00")),
            CreditEntry(2, date(2024, 2, 1), 'Refund, "goodwill"', Decimal("-0.5"), invoice_id=9),
            CreditEntry(3, date(2024, 3, 1), "Tiny", Decimal("1E-2")),
        ],
    )
    text = credit_log_csv(log)
    assert text.startswith("id,date,description,amount,invoice_id\r\n")
    assert text.endswith("\r\n") and not text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == COLUMNS
    assert rows[1:] == [
        ["3", "2024-03-01", "Tiny", "0.01", ""],
        ["2", "2024-02-01", 'Refund, "goodwill"', "-0.5", "9"],
        ["1", "2024-01-01", '\'=HYPERLINK("x")', "10.00", ""],
    ]


def test_an_empty_log_is_the_header_alone() -> None:
    assert credit_log_csv(CreditLog.of(1, [])) == "id,date,description,amount,invoice_id\r\n"


@pytest.mark.parametrize(
    ("filters", "name"),
    [
        (NO_FILTERS, "credits-client-42.csv"),
        (Filters(last=1000), "credits-client-42-last-1000.csv"),
        (
            Filters(since=date(2024, 1, 1), until=date(2024, 6, 30), last=5),
            "credits-client-42-since-2024-01-01-until-2024-06-30-last-5.csv",
        ),
    ],
)
def test_the_file_name_names_client_and_filters_without_spaces(filters: Filters, name: str) -> None:
    assert csv_filename(CreditLog.of(42, []), filters) == name


def csv_writer_text(log: CreditLog) -> str:
    """The export as the standard csv.writer writes it, the way the export was written before issue 15."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for entry in log.entries:
        writer.writerow(
            (
                "" if entry.id is None else entry.id,
                "" if entry.date is None else entry.date.isoformat(),
                neutralise(encodable(entry.description)),
                "" if entry.amount is None else f"{entry.amount:f}",
                entry.invoice_id or "",
            )
        )
    return buffer.getvalue()


entries = st.builds(
    CreditEntry,
    id=st.none() | st.integers(min_value=0, max_value=10**9),
    date=st.none() | st.dates(),
    description=st.text(alphabet=st.characters(codec=None) | st.sampled_from(',"\r\n=+-@\t\ud800')),
    amount=st.none() | st.decimals(allow_nan=False, allow_infinity=False, places=None),
    invoice_id=st.none() | st.integers(min_value=0, max_value=10**9),
)


@given(st.lists(entries, max_size=8))
def test_rows_are_those_csv_writer_writes(rows: list[CreditEntry]) -> None:
    """Issue 15 §4: the rows are formatted without csv.writer (once per kept log), to the same bytes."""
    log = CreditLog(client_id=42, entries=tuple(rows))
    assert credit_log_csv(log) == csv_writer_text(log)


def test_a_filtered_export_picks_the_kept_rows_and_a_foreign_log_is_formatted_afresh() -> None:
    """The rows of a kept log serve every filtered part of it; a log that is not its own is formatted anew."""
    log = CreditLog.of(
        42,
        [CreditEntry(n, date(2024, 1, n), f'Top-up {n}, "{n}"', Decimal(n).scaleb(-2)) for n in range(1, 21)],
    )
    rows = CsvRows(log)
    for filters in (
        NO_FILTERS,
        Filters(since=date(2024, 1, 5)),
        Filters(last=3),
        Filters(until=date(2024, 1, 2)),
    ):
        shown = filters.apply(log)
        assert rows.text(shown) == csv_writer_text(shown)
        assert rows.file(shown) == csv_writer_text(shown).encode()
    other = CreditLog.of(7, [CreditEntry(1, date(2024, 1, 1), "Other", Decimal("1.00"))])
    assert rows.text(other) == csv_writer_text(other)
