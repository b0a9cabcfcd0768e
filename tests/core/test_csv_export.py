"""The CSV export: exact amounts, formula-safe text, a header row, CRLF, and a file name from the filters."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from bot.core.credits import NO_FILTERS, CreditEntry, CreditLog, Filters
from bot.core.csv_export import COLUMNS, credit_log_csv, csv_filename, neutralise


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
