"""Issue 13 §2: GetCredits rows read while the JSON is decoded (`CreditRows.rows_hook`, what HttpTransport
does for GetCredits) give exactly the log that reading the decoded dicts gives, for every live shape."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from bot.core.credits import CreditEntry, CreditLog
from bot.core.errors import WhmcsError
from bot.core.whmcs_replies import credit_log
from bot.whmcs.transport import ROW_HOOKS, decode_reply
from tests.fakes import corpus
from tests.fakes.corpus import CLIENT, STRING_IDS, TWO_ENTRIES, WRAPPED
from tests.fakes.whmcs import credits_reply, entry, flattened, php_json

Outcome = tuple[str, Any]


def outcome(body: str, *, while_decoding: bool) -> Outcome:
    """The log a body gives (or the error it raises), its rows read while decoding or from dicts after."""
    hooks = ROW_HOOKS["GetCredits"] if while_decoding else None
    try:
        log = credit_log(decode_reply(body.encode(), 200, hooks), CLIENT)
    except WhmcsError as error:
        return "error", (type(error), str(error))
    return "log", (log.client_id, log.entries)


def same_either_way(body: str) -> Outcome:
    read = outcome(body, while_decoding=True)
    assert read == outcome(body, while_decoding=False)
    return read


def reply_with(credits: object, **top: object) -> str:
    return php_json({"result": "success", "clientid": CLIENT, "credits": credits} | top)


E1, E2 = TWO_ENTRIES

SHAPES = {
    "nested list (WHMCS 7/8)": corpus.credits_body(*TWO_ENTRIES),
    "string ids (PHP before 8.1)": php_json(STRING_IDS),
    "documentation's flattened keys": php_json(flattened(credits_reply(CLIENT, list(TWO_ENTRIES)))),
    "a single entry as an object": reply_with({"credit": E1}),
    "an entry straight under credits": reply_with(E1),
    "a list as an object keyed by number, out of order": reply_with({"credit": {"1": E2, "0": E1}}),
    "a list keyed by number straight under credits": reply_with({"0": E1, "1": E2}),
    "zero date and null amount": corpus.credits_body(corpus.ZERO_DATE, corpus.UNREADABLE_AMOUNT),
    "HTML-escaped description": corpus.credits_body(corpus.ESCAPED_ENTRY),
    "every description WHMCS writes": corpus.credits_body(
        *(
            entry(n, "2024-01-02", text, "1.00", relid)
            for n, (text, relid, _, _) in enumerate(corpus.WHMCS_DESCRIPTIONS)
        )
    ),
    "amounts as JSON numbers": reply_with(
        {"credit": [{"id": 1, "date": "2024-01-01", "amount": 0.1}, {"id": 2, "amount": 12}]}
    ),
    "amounts repeated": corpus.credits_body(*(entry(n, "2024-01-01", "Fee", "-5.00") for n in range(5))),
    "a row that also has result or credit": reply_with(
        {"credit": [E1 | {"result": "x"}, E2 | {"credit": "y"}, {"id": 3, "amount": "1.00"}]}
    ),
    "a row with objects for fields": reply_with(
        {"credit": [{"id": {"amount": "1"}, "amount": {"id": 2}, "description": {"date": "2024-01-01"}}]}
    ),
    "rows that are not objects": reply_with({"credit": [E1, ["x"]]}),
    "an empty object for a row": reply_with({"credit": [{}, E1]}),
    "empty (empty string)": reply_with(""),
    "empty (empty list)": reply_with({"credit": []}),
    "empty (empty object)": reply_with({}),
    "a reply of a row's fields only": php_json(E1),
    "an error reply": php_json({"result": "error", "message": "Client ID Not Found"}),
    "another object beside the log": reply_with({"credit": [E1]}, extra={"amount": "9.99"}),
}


@pytest.mark.parametrize("body", SHAPES.values(), ids=SHAPES.keys())
def test_rows_read_while_decoding_give_the_log_dicts_give(body: str) -> None:
    same_either_way(body)


@pytest.mark.parametrize("shape", WRAPPED, ids=lambda shape: shape.name)
def test_behind_php_messages_rows_are_numbered_from_one(shape: Any) -> None:
    """A body with PHP's messages after the JSON fails a first decode at its end and is decoded again."""
    kind, (_, entries) = same_either_way(shape.body)
    assert kind == "log"
    assert sorted(entry.position for entry in entries) == [1, 2]


def test_the_decoded_reply_holds_entries_not_a_dict_per_row() -> None:
    reply = decode_reply(corpus.credits_body(*TWO_ENTRIES).encode(), 200, ROW_HOOKS["GetCredits"])
    assert isinstance(reply, dict)
    rows = reply["credits"]["credit"]
    assert [type(row) for row in rows] == [CreditEntry, CreditEntry]
    assert [row.position for row in rows] == [1, 2]


def test_the_same_amount_is_one_exact_decimal() -> None:
    body = corpus.credits_body(*(entry(n, "2024-01-01", "Fee", "-5.10") for n in range(3)))
    log = credit_log(decode_reply(body.encode(), 200, ROW_HOOKS["GetCredits"]), CLIENT)
    amounts = [entry.amount for entry in log.entries]
    assert amounts == [Decimal("-5.10")] * 3 and str(amounts[0]) == "-5.10"
    assert len({id(amount) for amount in amounts}) == 1
    assert log.total == Decimal("-15.30")


def test_a_bytearray_body_is_emptied_once_decoded() -> None:
    body = bytearray(corpus.credits_body(*TWO_ENTRIES).encode())
    decode_reply(body, 200, ROW_HOOKS["GetCredits"])
    assert body == bytearray()


def test_a_long_log_read_while_decoding_equals_the_dict_reading() -> None:
    rows = [
        entry(n, f"2024-01-{n % 28 + 1:02d}", f"Credit Applied to Invoice #{n}", "-1.00", n)
        for n in range(5000)
    ]
    kind, (_, entries) = same_either_way(corpus.credits_body(*rows))
    assert kind == "log" and len(entries) == 5000
    assert CreditLog(CLIENT, entries).total == Decimal("-5000.00")
