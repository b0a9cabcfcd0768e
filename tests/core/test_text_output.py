"""The command line's table and JSON: plain numbers for scripts, the currency only in the heading."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

from bot.core.clients import Currency, InvoiceStats
from bot.core.credits import CreditEntry, CreditLog, Filters
from bot.core.text_output import client_heading, log_as_json, log_as_table
from bot.core.views import CreditView
from tests.core.people import jane_doe

EURO = Currency(id=2, code="EUR", prefix="€", suffix="", format=3)
LOG = CreditLog.of(
    42,
    [
        CreditEntry(1, date(2024, 1, 1), "Top-up", Decimal("1234.5")),
        CreditEntry(2, date(2024, 2, 1), "Used on invoice", Decimal("-34.505"), invoice_id=77),
    ],
)


def test_the_heading_names_the_client_and_warns_about_a_differing_balance() -> None:
    assert client_heading(CreditView(LOG)) == ["Credit log of client #42"]
    assert client_heading(CreditView(LOG, details=jane_doe(None, 2, "EUR"), currency=EURO)) == [
        "Credit log of Jane Doe (Acme Ltd) · #42 · jane@example.com · Active"
    ]
    assert client_heading(CreditView(LOG, details=jane_doe("1199.995", 2, "EUR"), currency=EURO))[1:] == [
        "Balance in WHMCS: €1.200,00"
    ], "no warning when the balance is the sum of the log"
    differing = client_heading(CreditView(LOG, details=jane_doe("5", 2, "EUR"), currency=EURO))
    assert differing[1:] == [
        "Balance in WHMCS: €5,00",
        "Warning: the log sums to €1.200,00; WHMCS's balance is €5,00",
    ]


def test_the_table_lists_entries_newest_first_with_plain_amounts_right_aligned() -> None:
    table = log_as_table(CreditView(LOG, notes=("Currency unknown",), currency=EURO)).splitlines()
    assert table == [
        "Credit log of client #42",
        "Note: Currency unknown",
        "date        description       amount  invoice",
        "----------  ---------------  -------  -------",
        "2024-02-01  Used on invoice   -34.51  #77",
        "2024-01-01  Top-up           1234.50",
        "2 entries; total 1200.00 (credits in 1234.50, credits out -34.51)",
    ]


def test_a_filtered_table_adds_the_all_time_line() -> None:
    table = log_as_table(CreditView(LOG, Filters(last=1))).splitlines()
    assert table[-2] == "1 entries (last 1); total -34.51 (credits in 0.00, credits out -34.51)"
    assert table[-1] == "All-time: 2 entries; total 1200.00"


def test_an_empty_table_says_so() -> None:
    table = log_as_table(CreditView(CreditLog.of(3, []))).splitlines()
    assert table == [
        "Credit log of client #3",
        "No credit entries.",
        "0 entries; total 0.00 (credits in 0.00, credits out 0.00)",
    ]


def test_json_keeps_amounts_as_strings_and_names_the_currency() -> None:
    data = log_as_json(CreditView(LOG, Filters(last=1), details=jane_doe("5", 2, "EUR"), currency=EURO))
    assert json.loads(json.dumps(data)) == data
    assert data == {
        "client_id": 42,
        "client": {
            "name": "Jane Doe (Acme Ltd)",
            "email": "jane@example.com",
            "status": "Active",
            "balance": "5.00",
            "currency": "EUR",
            "invoices": None,
        },
        "filters": "last 1",
        "count": 1,
        "total": "-34.51",
        "credits_in": "0.00",
        "credits_out": "-34.51",
        "all_time_count": 2,
        "all_time_total": "1200.00",
        "total_complete": True,
        "all_time_total_complete": True,
        "unreadable_amounts": [],
        "notes": [],
        "entries": [
            {
                "id": 2,
                "date": "2024-02-01",
                "description": "Used on invoice",
                "amount": "-34.505",
                "invoice_id": 77,
            }
        ],
    }


def test_json_without_details_or_filters() -> None:
    data = log_as_json(CreditView(CreditLog.of(3, [])))
    assert data["client"] is None and data["filters"] is None and data["entries"] == []


def test_the_heading_and_json_carry_the_unpaid_invoices_as_whmcs_wrote_them() -> None:
    details = replace(jane_doe("5", 2, "EUR"), invoices=InvoiceStats(3, "€120,00 EUR", 1, "€40,00 EUR"))
    view = CreditView(LOG, details=details, currency=EURO)
    assert client_heading(view)[-1] == "Unpaid: 3 invoices, €120,00 EUR · Overdue: 1, €40,00 EUR"
    assert log_as_json(view)["client"]["invoices"] == {
        "due": 3,
        "due_balance": "€120,00 EUR",
        "overdue": 1,
        "overdue_balance": "€40,00 EUR",
    }


def test_without_statistics_the_heading_says_nothing_about_invoices() -> None:
    heading = client_heading(CreditView(LOG, details=jane_doe("5", 2, "EUR")))
    assert not any("nvoice" in line for line in heading)
