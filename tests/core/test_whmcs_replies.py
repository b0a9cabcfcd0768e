"""The GetCredits normaliser and error mapping: every reply shape WHMCS sends, and garbage."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.errors import (
    ClientNotFound,
    WhmcsAuthError,
    WhmcsCredentialsPaused,
    WhmcsError,
    WhmcsIpBanned,
    WhmcsIpNotAllowed,
    WhmcsPermissionError,
    WhmcsUnavailable,
    WhmcsUnexpectedReply,
    error_kind,
)
from bot.core.whmcs_replies import UNREADABLE_DESCRIPTION as UNREADABLE
from bot.core.whmcs_replies import credit_log
from tests.fakes.whmcs import credits_reply, entry, flattened

PAUSE_ENDS = datetime(2026, 1, 1, tzinfo=UTC)

DOC_EXAMPLE = {
    "result": "success",
    "totalresults": 2,
    "clientid": 1,
    "credits": {
        "credit": [
            {
                "id": 1,
                "date": "2016-01-01",
                "description": "This is a sample credit record",
                "amount": "10.00",
                "relid": 0,
            },
            {
                "id": 2,
                "date": "2016-01-01",
                "description": "Credit Applied to Invoice #1",
                "amount": "-10.00",
                "relid": 0,
            },
        ]
    },
}


def stringly(reply: dict[str, Any]) -> dict[str, Any]:
    """Older WHMCS versions: the nested shape with every scalar a string."""

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: walk(item) for key, item in value.items()}
        if isinstance(value, list):
            return [walk(item) for item in value]
        return str(value)

    nested: dict[str, Any] = walk(reply)
    return nested


@pytest.mark.parametrize("shape", [lambda r: r, flattened, stringly], ids=["live", "documented", "strings"])
def test_documentation_example_in_every_shape(shape: Any) -> None:
    log = credit_log(shape(DOC_EXAMPLE), 1)
    assert [e.id for e in log.entries] == [2, 1]
    assert log.entries[0].invoice_id == 1
    assert log.entries[1].description == "This is a sample credit record"
    assert log.entries[1].date == date(2016, 1, 1)
    assert (log.count, log.total, log.credits_in, log.credits_out) == (
        2,
        Decimal("0.00"),
        Decimal("10.00"),
        Decimal("-10.00"),
    )


@pytest.mark.parametrize("credits", [{"credit": []}, "", [], {}, None, {"credit": ""}])
def test_empty_log_forms(credits: Any) -> None:
    reply: dict[str, Any] = {"result": "success", "totalresults": 0, "clientid": 3}
    if credits is not None:
        reply["credits"] = credits
    log = credit_log(reply, 3)
    assert log.entries == ()
    assert log.total == Decimal("0.00")


def test_single_entry_object_where_a_list_is_expected() -> None:
    one = entry(7, "2024-02-03", "Top-up", "5.50")
    assert credit_log({"result": "success", "credits": {"credit": one}}, 9).total == Decimal("5.50")
    assert credit_log({"result": "success", "credits": one}, 9).count == 1


def test_descriptions_are_unescaped_exactly_once() -> None:
    reply = credits_reply(
        4,
        [
            entry(1, "2024-01-01", "Refund &amp; goodwill", "1.00"),
            entry(2, "2024-01-02", "client&#039;s &lt;b&gt;", "1.00"),
            entry(3, "2024-01-03", "already &amp;amp; double", "1.00"),
        ],
    )
    texts = [e.description for e in credit_log(reply, 4).entries]
    assert texts == ["already &amp; double", "client's <b>", "Refund & goodwill"]


def test_invoice_ids_from_relid_or_description() -> None:
    reply = credits_reply(
        5,
        [
            entry(1, "2024-01-01", "Overpayment", "3.00", relid=77),
            entry(2, "2024-01-02", "Credit Applied to Invoice #1234", "-3.00"),
            entry(3, "2024-01-03", "Goodwill", "1.00"),
        ],
    )
    assert [e.invoice_id for e in credit_log(reply, 5).entries] == [None, 1234, 77]


def test_newest_first_with_ties_broken_by_id() -> None:
    reply = credits_reply(
        6,
        [
            entry(5, "2024-01-02", "b", "1.00"),
            entry(9, "2024-01-01", "a", "1.00"),
            entry(3, "2024-01-02", "c", "1.00"),
        ],
    )
    assert [e.id for e in credit_log(reply, 6).entries] == [5, 3, 9]


def test_amounts_are_decimal_even_from_json_numbers() -> None:
    import json

    reply = json.loads(
        '{"result":"success","credits":{"credit":[{"id":1,"date":"2024-01-01",'
        '"description":"x","amount":0.1},{"id":2,"date":"2024-01-01","description":"y",'
        '"amount":0.2}]}}',
        parse_float=Decimal,
    )
    assert credit_log(reply, 1).total == Decimal("0.3")


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("Client ID Not Found", ClientNotFound),
        ("Authentication Failed", WhmcsAuthError),
        ("Invalid or missing credentials", WhmcsAuthError),
        ("Invalid administrative identifier", WhmcsAuthError),
        ("Administrator Account Disabled", WhmcsAuthError),
        ("Access Denied", WhmcsAuthError),
        ('Invalid Permissions: API action "getcredits" is not allowed', WhmcsPermissionError),
        ("Invalid IP 203.0.113.9", WhmcsIpNotAllowed),
        ("IP Banned", WhmcsIpBanned),
        ("Your IP address 203.0.113.9 has been banned", WhmcsIpBanned),
        ("Invalid Access Key", WhmcsIpNotAllowed),
        ("Something else went wrong", WhmcsError),
    ],
)
def test_error_messages_map_to_typed_errors(message: str, kind: type[WhmcsError]) -> None:
    with pytest.raises(kind) as raised:
        credit_log({"result": "error", "message": message}, 999)
    assert type(raised.value) is kind
    assert raised.value.message == message


def test_typed_errors_name_what_matters() -> None:
    assert str(ClientNotFound("999")) == "Client 999 not found in WHMCS"
    with pytest.raises(WhmcsPermissionError) as permission:
        credit_log(
            {"result": "error", "message": 'Invalid Permissions: API action "getcredits" is not allowed'}, 1
        )
    assert permission.value.action == "getcredits"
    with pytest.raises(WhmcsIpNotAllowed) as ip:
        credit_log({"result": "error", "message": "Invalid IP 203.0.113.9"}, 1)
    assert ip.value.ip == "203.0.113.9"


@pytest.mark.parametrize(
    "reply",
    [
        [],
        "success",
        {"result": "maybe"},
        {"credits": {"credit": []}},
        {"result": "success", "credits": "garbage"},
        {"result": "success", "credits": {"credit": [1, 2]}},
    ],
)
def test_unexpected_shapes_are_a_clear_error(reply: Any) -> None:
    with pytest.raises(WhmcsUnexpectedReply):
        credit_log(reply, 1)


@pytest.mark.parametrize(
    ("row", "field", "shown"),
    [
        ({"id": "x", "date": "2024-01-01", "amount": "1"}, "id", None),
        ({"id": 1, "date": "yesterday", "amount": "1"}, "date", None),
        ({"id": 1, "date": "0000-00-00", "amount": "1"}, "date", None),
        ({"id": 1, "date": "2024-01-01", "amount": "lots"}, "amount", None),
        ({"id": 1, "date": "2024-01-01", "amount": "NaN"}, "amount", None),
        ({"id": 1, "date": "2024-01-01", "amount": True}, "amount", None),
        ({"id": 1, "date": "2024-01-01", "amount": "1", "description": {"a": 1}}, "description", UNREADABLE),
    ],
)
def test_a_field_that_cannot_be_read_is_kept_as_unreadable(
    row: dict[str, Any], field: str, shown: Any
) -> None:
    """Until issue 12 each of these made the whole log "unexpected"; now only that field of that row is."""
    reply = {"result": "success", "credits": {"credit": [row, entry(2, "2024-02-01", "Top-up", "5.00")]}}
    log = credit_log(reply, 1)
    assert log.count == 2
    bad = next(e for e in log.entries if e.description != "Top-up")
    assert getattr(bad, field) == shown


amounts = st.decimals(
    min_value=Decimal("-99999999.99"),
    max_value=Decimal("99999999.99"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)
entries_strategy = st.lists(
    st.tuples(st.integers(1, 10**9), st.dates(), st.text(max_size=40), amounts, st.integers(0, 10**6)),
    max_size=30,
    unique_by=lambda row: row[0],
)


@given(entries_strategy)
def test_every_accepted_shape_gives_the_same_log(rows: list[tuple[int, date, str, Decimal, int]]) -> None:
    raw = [entry(i, d.isoformat(), text, f"{amount:.2f}", relid) for i, d, text, amount, relid in rows]
    reply = credits_reply(11, raw)
    shapes = [reply, flattened(reply), stringly(reply)]
    if len(raw) == 1:
        shapes.append({"result": "success", "credits": {"credit": raw[0]}})
    logs = [credit_log(shape, 11) for shape in shapes]
    assert all(log == logs[0] for log in logs)
    assert logs[0].total == sum((amount for *_, amount, _ in rows), Decimal(0))
    assert logs[0].credits_in + logs[0].credits_out == logs[0].total
    assert all(isinstance(e.amount, Decimal) for e in logs[0].entries)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text() | st.decimals(allow_nan=False),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(
    st.one_of(
        json_values,
        st.fixed_dictionaries({"result": st.just("success"), "credits": json_values}),
        st.dictionaries(st.text(max_size=30), json_values, max_size=6),
    )
)
def test_any_json_is_a_log_or_a_whmcs_error(reply: Any) -> None:
    try:
        log = credit_log(reply, 1)
    except WhmcsError:
        return
    readable = [e.amount for e in log.entries if e.amount is not None]
    assert log.total == sum(readable, Decimal(0))
    assert log.complete == (len(readable) == log.count)


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (ClientNotFound("7"), "client_not_found"),
        (WhmcsAuthError("Authentication Failed"), "auth"),
        (WhmcsCredentialsPaused("Authentication Failed", PAUSE_ENDS), "credentials_paused"),
        (WhmcsPermissionError("Invalid Permissions", "getcredits"), "permission"),
        (WhmcsIpNotAllowed("Invalid IP 203.0.113.9", "203.0.113.9"), "ip_not_allowed"),
        (WhmcsUnexpectedReply("no result"), "unexpected_reply"),
        (WhmcsUnavailable("no answer within 10 s", cause="timeout"), "timeout"),
        (WhmcsUnavailable("TLS handshake failed", cause="tls"), "tls"),
        (WhmcsError("Something else"), "other"),
    ],
)
def test_error_kinds_are_short_and_bounded(error: WhmcsError, kind: str) -> None:
    assert error_kind(error) == kind
