"""Pure parsing of who a client is and how WHMCS writes money."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.clients import (
    PLAIN,
    Currency,
    InvoiceStats,
    client_details,
    client_matches,
    currencies,
    currency_for,
    invoice_stats,
)
from bot.core.errors import WhmcsUnexpectedReply
from tests.fakes.whmcs import NO_INVOICES, client, flattened, invoices


@pytest.mark.parametrize(
    ("number_format", "amount", "shown"),
    [
        (1, "1234.56", "$1234.56 USD"),
        (2, "1234.56", "$1,234.56 USD"),
        (3, "1234.56", "$1.234,56 USD"),
        (4, "1234.56", "$1,235 USD"),
        (2, "-10", "$-10.00 USD"),  # issue 12: the minus after the prefix, as WHMCS prints it
        (2, "1234567.891", "$1,234,567.89 USD"),
        (3, "-0.5", "$-0,50 USD"),
        (3, "-1234.5", "$-1.234,50 USD"),
        (4, "-1234.5", "$-1,235 USD"),
        (4, "0", "$0 USD"),
    ],
)
def test_each_currency_format(number_format: int, amount: str, shown: str) -> None:
    currency = Currency(id=1, code="USD", prefix="$", suffix=" USD", format=number_format)
    assert currency.money(Decimal(amount)) == shown


def test_signed_amounts_for_entries() -> None:
    euro = Currency(code="EUR", prefix="€", suffix="", format=3)
    assert euro.money(Decimal("10"), signed=True) == "+€10,00"
    assert euro.money(Decimal("-10"), signed=True) == "€-10,00"
    assert Currency(code="EUR", prefix="€", suffix=" EUR", format=3).money(Decimal("-10")) == "€-10,00 EUR"
    assert PLAIN.money(Decimal("7.5")) == "7.50"


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=2))
def test_money_is_exact_for_two_decimal_amounts(amount: Decimal) -> None:
    shown = Currency(format=1).money(amount)
    assert Decimal(shown) == amount


def test_client_details_nested_and_top_level() -> None:
    fields = client(42, credit="12.50")
    for body in (
        {"result": "success", **fields},
        {"result": "success", "client": fields},
        {"result": "success", "client": {k: str(v) for k, v in fields.items()}},
    ):
        details = client_details(body)
        assert details.id == 42
        assert details.name == "Jane Doe (Acme Ltd)"
        assert details.credit == Decimal("12.50")
        assert details.currency_id == 1


def test_client_text_is_unescaped() -> None:
    details = client_details({**client(5, first="Se&aacute;n", last="O&#039;Brien", company="A &amp; B")})
    assert details.name == "Seán O'Brien (A & B)"


@pytest.mark.parametrize("clients", [None, "", {"client": []}, {}])
def test_no_match_forms(clients: object) -> None:
    body: dict[str, object] = {"result": "success", "totalresults": 0}
    if clients is not None:
        body["clients"] = clients
    assert client_matches(body) == ([], 0)


def test_matches_with_string_or_integer_ids() -> None:
    body = {
        "totalresults": "12",
        "clients": {
            "client": [
                {
                    "id": "42",
                    "firstname": "Jane",
                    "lastname": "Doe",
                    "companyname": "Acme Ltd",
                    "email": "j@x.example",
                    "status": "Active",
                },
                {
                    "id": 7,
                    "firstname": "",
                    "lastname": "",
                    "companyname": "",
                    "email": "k@x.example",
                    "status": "Closed",
                },
            ]
        },
    }
    matches, total = client_matches(body)
    assert [m.id for m in matches] == [42, 7]
    assert matches[1].name == "k@x.example"
    assert total == 12


def test_currencies_and_fallbacks() -> None:
    known = currencies(
        {
            "currencies": {
                "currency": [
                    {"id": 1, "code": "USD", "prefix": "$", "suffix": " USD", "format": 2, "rate": "1.00000"},
                    {"id": "2", "code": "EUR", "prefix": "€", "suffix": "", "format": "3"},
                ]
            }
        }
    )
    assert known[2].money(Decimal("1234.5")) == "€1.234,50"
    details = client_details(client(1, currency=2, code="EUR"))
    assert currency_for(details, known) is known[2]
    assert currency_for(details, None).money(Decimal("1")) == "1.00 EUR"
    assert currency_for(None, known) is PLAIN
    with pytest.raises(WhmcsUnexpectedReply):
        currencies({"currencies": {"currency": ["USD"]}})


def test_invoice_statistics_as_the_documentation_shows_them() -> None:
    reply = {
        "result": "success",
        **client(42),
        "stats": {**NO_INVOICES, **invoices(19, "$2645.80 USD", 19, "$2645.80 USD")},
    }
    details = client_details(reply)
    assert details.invoices == InvoiceStats(19, "$2645.80 USD", 19, "$2645.80 USD")
    assert details.invoices.summary() == "Unpaid: 19 invoices, $2645.80 USD · Overdue: 19, $2645.80 USD"
    from bot.core.whmcs_replies import unflatten

    assert client_details(unflatten(flattened(reply))).invoices == details.invoices


def test_invoice_summaries() -> None:
    assert (
        InvoiceStats(1, "€15,00 EUR", 0, "€0,00 EUR").summary()
        == "Unpaid: 1 invoice, €15,00 EUR · none overdue"
    )
    assert InvoiceStats(0, "$0.00 USD", 0, "$0.00 USD").summary() == "Unpaid invoices: none"


@pytest.mark.parametrize(
    "stats",
    [
        None,
        "",
        [],
        {"creditbalance": "$0.00 USD"},
        {**NO_INVOICES, "numdueinvoices": "many"},
        {**NO_INVOICES, "numoverdueinvoices": "-1"},
        {**NO_INVOICES, "dueinvoicesbalance": ""},
        {**NO_INVOICES, "overdueinvoicesbalance": 12},
        {**NO_INVOICES, "dueinvoicesbalance": "$" + "9" * 60},
    ],
)
def test_absent_or_unreadable_statistics_say_nothing(stats: object) -> None:
    assert invoice_stats(stats) is None
    reply = {"result": "success", **client(42)}
    if stats is not None:
        reply["stats"] = stats
    assert client_details(reply).invoices is None


def test_a_balance_written_with_an_entity_is_unescaped_once() -> None:
    assert invoice_stats(invoices(2, "&euro;10,00 EUR")) == InvoiceStats(2, "€10,00 EUR", 0, "$0.00 USD")
