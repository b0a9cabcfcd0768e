"""The corpus of live WHMCS reply bodies (tests/fakes/corpus.py) through the pure parsers."""

from __future__ import annotations

import string
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.blocks import AdminLinks, credit_log_message
from bot.core.clients import client_details
from bot.core.credits import CreditLog, Filters
from bot.core.csv_export import credit_log_csv
from bot.core.php_output import json_reply
from bot.core.text_output import log_as_json, log_as_table
from bot.core.views import CreditView
from bot.core.whmcs_replies import check_result, credit_log
from tests.fakes import corpus
from tests.fakes.corpus import CLIENT, NOT_WHMCS, TYPED, WRAPPED, Shape
from tests.fakes.whmcs import credits_reply, entry
from tests.slack_harness import all_text

LINKS = AdminLinks("https://billing.example.com/admin")


def parsed(body: str) -> Any:
    reply = json_reply(body.strip())
    assert reply is not None
    return reply.value


@pytest.mark.parametrize("shape", WRAPPED, ids=lambda shape: shape.name)
def test_json_wrapped_in_php_messages_is_the_reply(shape: Shape) -> None:
    reply = json_reply(shape.body.strip())
    assert reply is not None
    assert reply.php_message == shape.php_message
    log = credit_log(reply.value, CLIENT)
    assert (log.count, log.total) == (2, Decimal("60.05"))


@pytest.mark.parametrize("shape", NOT_WHMCS, ids=lambda shape: shape.name)
def test_a_body_that_is_not_only_php_messages_and_json_is_not_a_reply(shape: Shape) -> None:
    assert json_reply(shape.body.strip()) is None


def test_plain_json_carries_no_php_message() -> None:
    reply = json_reply(corpus.credits_body(*corpus.TWO_ENTRIES))
    assert reply is not None and reply.php_message is None


def test_amounts_stay_exact_decimals_behind_php_messages() -> None:
    body = corpus.DEPRECATED_HTML + '{"result":"success","credits":{"credit":[{"id":1,"amount":0.1}]}}'
    assert credit_log(parsed(body), 1).entries[0].amount == Decimal("0.1")


def zero_date_and_unreadable_amount() -> CreditLog:
    body = corpus.credits_body(*corpus.TWO_ENTRIES, corpus.ZERO_DATE, corpus.UNREADABLE_AMOUNT)
    return credit_log(parsed(body), CLIENT)


def test_a_zero_date_is_no_date_sorted_oldest_and_counted() -> None:
    log = zero_date_and_unreadable_amount()
    assert [e.id for e in log.entries] == [2, 8, 1, 7]
    assert log.entries[-1].date is None
    assert log.count == 4
    assert log.total == Decimal("65.05")  # 100.10 - 40.05 + 5.00; entry 8's amount is unknown


def test_an_unreadable_amount_makes_every_total_incomplete_and_named() -> None:
    log = zero_date_and_unreadable_amount()
    assert not log.complete
    assert [e.id for e in log.totals.unreadable] == [8]
    view = CreditView(log)
    text = all_text(credit_log_message(view, LINKS))
    assert "*Total (incomplete)*\n`65.05`" in text
    assert "The totals are incomplete: the amount of entry id 8 could not be read" in text
    assert "`amount unreadable`  2024-03-02  Imported balance" in text
    assert "`+5.00`  no date  Goodwill credit" in text
    assert "total (incomplete) 65.05" in text


def test_the_command_line_says_the_same() -> None:
    view = CreditView(zero_date_and_unreadable_amount())
    table = log_as_table(view)
    assert "no date" in table and "amount unreadable" in table
    assert table.splitlines()[-1].endswith(
        "total (incomplete) 65.05 (credits in 105.10, credits out -40.05): "
        "the amount of entry id 8 could not be read"
    )
    data = log_as_json(view)
    assert data["total"] == "65.05" and data["total_complete"] is False
    assert data["unreadable_amounts"] == [{"id": 8, "position": 4}]
    assert {key: data["entries"][-1][key] for key in ("id", "date")} == {"id": 7, "date": None}
    assert data["entries"][1]["amount"] is None
    rows = credit_log_csv(view.log).splitlines()
    assert "8,2024-03-02,Imported balance,," in rows
    assert "7,,Goodwill credit,5.00," in rows


def test_date_filters_leave_out_rows_without_a_date() -> None:
    view = CreditView(zero_date_and_unreadable_amount(), filters=Filters(since=date(2000, 1, 1)))
    assert [e.id for e in view.shown.entries] == [2, 8, 1]
    assert Filters(last=10).apply(view.log).count == 4


def test_a_balance_is_not_compared_with_an_incomplete_sum() -> None:
    details = client_details(corpus.escaped_client() | {"credit": "65.05"})
    view = CreditView(zero_date_and_unreadable_amount(), details=details)
    assert view.differing_balance is None


@pytest.mark.parametrize(("description", "relid", "invoice", "note"), corpus.WHMCS_DESCRIPTIONS)
def test_the_descriptions_whmcs_writes_itself(
    description: str, relid: int, invoice: int | None, note: str
) -> None:
    log = credit_log(parsed(corpus.credits_body(entry(1, "2024-01-01", description, "1.00", relid))), 1)
    assert log.entries[0].invoice_id == invoice, note
    text = all_text(credit_log_message(CreditView(log), LINKS))
    assert (f"invoices.php?action=edit&amp;id={invoice}|Invoice #{invoice}>" in text) == (invoice is not None)


def test_ids_as_strings_before_php_8_1_and_integers_after() -> None:
    older = credit_log(parsed(corpus.whmcs_body(corpus.STRING_IDS)), CLIENT)
    newer = credit_log(parsed(corpus.credits_body(*corpus.TWO_ENTRIES)), CLIENT)
    assert older == newer
    assert [e.id for e in older.entries] == [2, 1]


def test_json_encode_escapes_and_stored_html_reach_the_person_as_typed() -> None:
    body = corpus.whmcs_body({"result": "success", **corpus.escaped_client()})
    assert "O\\u0026#039;Brien" in body and "Smith \\u0026amp; Sons \\u0026quot;Gold" in body
    details = client_details(check_result(parsed(body), "GetClientsDetails", str(CLIENT)))
    assert (details.firstname, details.lastname, details.companyname, details.email) == (
        TYPED["first"],
        TYPED["last"],
        TYPED["company"],
        TYPED["email"],
    )
    log = credit_log(parsed(corpus.credits_body(corpus.ESCAPED_ENTRY)), CLIENT)
    assert log.entries[0].description == TYPED["description"]
    text = all_text(credit_log_message(CreditView(log, details=details), LINKS))
    assert 'Seán O\'Brien (Smith &amp; Sons "Gold" &lt;Ltd&gt;)' in text
    assert "Refund &amp; goodwill for O'Brien's \"outage\" &lt;b&gt;" in text
    assert "&amp;amp;" not in text and "&#039;" not in text and "&quot;" not in text


def test_the_loopback_whmcs_writes_json_as_whmcs_does() -> None:
    body = corpus.whmcs_body(credits_reply(1, [entry(1, "2024-01-01", "a <b> & 'c' \"d\"", "1.00")]))
    assert "\\u003Cb\\u003E \\u0026 \\u0027c\\u0027 \\u0022d\\u0022" in body


@given(
    st.lists(
        st.sampled_from([corpus.DEPRECATED_HTML, corpus.WARNING_HTML, corpus.NOTICE_TEXT, "<br />", "x"])
    ),
    st.text(alphabet=string.ascii_letters + " &<>'", max_size=40),
    st.lists(st.sampled_from([corpus.WARNING_HTML, corpus.NOTICE_TEXT, "}", "{"])),
)
def test_any_mix_of_php_messages_and_text_is_a_reply_or_none(
    before: list[str], middle: str, after: list[str]
) -> None:
    body = ("".join(before) + '{"result":"success","x":"' + middle + '"}' + "".join(after)).strip()
    reply = json_reply(body)
    clean = all(part not in ("x", "<br />") for part in before) and all(part not in "{}" for part in after)
    if reply is not None:
        assert isinstance(reply.value, dict)
        assert (reply.php_message is None) == (not before and not after)
    elif clean:
        pytest.fail(f"a JSON object behind PHP's messages was refused: {body!r}")
