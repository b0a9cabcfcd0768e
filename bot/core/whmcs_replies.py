"""Pure interpretation of WHMCS API replies: typed errors, and the many shapes a GetCredits reply takes.

A live WHMCS 7/8 nests lists (`{"credits": {"credit": [...]}}`) with integer ids; its documentation shows
the same data flattened into string keys (`"credits[credit][0][id]": "1"`); older versions send strings
everywhere, and empty or single-entry lists come in several forms. Everything here accepts all of them and
turns anything else into `WhmcsUnexpectedReply`, never a crash.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from bot.core.credits import CreditEntry, CreditLog, invoice_id_for
from bot.core.errors import (
    ClientNotFound,
    WhmcsAuthError,
    WhmcsError,
    WhmcsIpBanned,
    WhmcsIpNotAllowed,
    WhmcsPermissionError,
    WhmcsUnexpectedReply,
)

_AUTH_MESSAGES = (
    "authentication failed",
    "invalid or missing credentials",
    "invalid administrative identifier",
    "administrator account disabled",
    "access denied",
)
_PERMISSION = re.compile(r'invalid permissions:\s*api action "?([\w-]+)"?', re.IGNORECASE)
_INVALID_IP = re.compile(r"invalid ip\s+([0-9a-fA-F:.]+)", re.IGNORECASE)
_BANNED = re.compile(r"\bbanned\b", re.IGNORECASE)
"""A ban, however WHMCS words it ("IP Banned", "Your IP ... has been banned"): its API reference does not
list the message, so any error that says "banned" is one."""


def error_for(message: str, action: str, client_ref: str) -> WhmcsError:
    """Map WHMCS's `result=error` message to the typed error a caller can explain to a person."""
    lowered = message.strip().lower()
    if lowered in ("client id not found", "client not found"):
        return ClientNotFound(client_ref, message)
    if _BANNED.search(message):
        return WhmcsIpBanned(message)
    if lowered.startswith(_AUTH_MESSAGES):
        return WhmcsAuthError(message)
    permission = _PERMISSION.search(message)
    if permission:
        return WhmcsPermissionError(message, permission.group(1))
    ip = _INVALID_IP.search(message)
    if ip:
        return WhmcsIpNotAllowed(message, ip.group(1))
    if lowered.startswith("invalid access key"):
        return WhmcsIpNotAllowed(message, None)
    return WhmcsError(message or f"{action} failed without a message")


def reported_error(reply: object, action: str, client_ref: str) -> WhmcsError | None:
    """The typed error a `result=error` reply describes; None for any other reply."""
    if not isinstance(reply, dict) or reply.get("result") != "error":
        return None
    message = reply.get("message")
    return error_for(str(message) if message is not None else "", action, client_ref)


def check_result(reply: object, action: str, client_ref: str) -> dict[str, Any]:
    """Return a successful reply as a dict, or raise the typed error it describes."""
    if not isinstance(reply, dict):
        raise WhmcsUnexpectedReply(f"{action} answered with JSON that is not an object")
    if reply.get("result") == "success":
        return unflatten(reply)
    error = reported_error(reply, action, client_ref)
    if error is not None:
        raise error
    raise WhmcsUnexpectedReply(f"{action} answered without result=success or result=error")


_KEY_PART = re.compile(r"\[([^\[\]]*)\]")


def unflatten(reply: Mapping[str, Any]) -> dict[str, Any]:
    """Turn documentation-style keys (`"credits[credit][0][id]"`) into the nested form a live WHMCS sends."""
    nested: dict[str, Any] = {}
    for key, value in reply.items():
        head, bracket, rest = key.partition("[")
        if not bracket or not head or _KEY_PART.sub("", "[" + rest):
            nested[key] = value
            continue
        path = [head, *_KEY_PART.findall("[" + rest)]
        node = nested
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise WhmcsUnexpectedReply(f"key {key!r} clashes with another value")
            node = child
        node[path[-1]] = value
    return nested


def as_list(container: object, item_key: str) -> list[Any]:
    """Items of a WHMCS list (`{"credit": [...]}`), accepting every empty and single-item form."""
    if container in (None, "", [], {}):
        return []
    if isinstance(container, dict) and item_key in container:
        container = container[item_key]
        if container in (None, "", [], {}):
            return []
    if type(container) is CreditEntry:  # a single row, read while decoding (CreditRows)
        return [container]
    if isinstance(container, dict):
        if container and all(key.isascii() and key.isdigit() for key in container):
            return [container[key] for key in sorted(container, key=int)]
        return [container]
    if isinstance(container, list):
        return container
    raise WhmcsUnexpectedReply(f"expected a list of {item_key} entries")


def as_objects(container: object, item_key: str, what: str) -> list[tuple[int, dict[str, Any]]]:
    """The items of a WHMCS list, each an object, numbered from 1 so an error can say which one is wrong."""
    objects = []
    for position, raw in enumerate(as_list(container, item_key), start=1):
        if not isinstance(raw, dict):
            raise WhmcsUnexpectedReply(f"{what} {position} is not an object")
        objects.append((position, raw))
    return objects


Parsed = TypeVar("Parsed")


def optional(value: object, parse: Callable[[object, str], Parsed], field: str) -> Parsed | None:
    """`parse(value)`, or None where WHMCS left the field out or empty (it sends both)."""
    return None if value in (None, "") else parse(value, field)


LARGEST_WHOLE_NUMBER = 10**18
"""Far beyond any WHMCS id; also bounds the work a reply can cause (int() of a million-digit number)."""
AMOUNT_INTEGER_DIGITS = 15
AMOUNT_MAX_PLACES = 8
"""WHMCS stores amounts as DECIMAL(16,2). Within these bounds the sum of 100,000 entries stays exact in
Decimal's 28 digits, and an amount like 1e999999 (a megabyte of digits when shown) is refused."""


def as_int(value: object, field: str) -> int:
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.removeprefix("-").isdigit() and len(text) <= 20:
            number = int(text)
    elif isinstance(value, Decimal) and value.is_finite() and value.adjusted() < 20:
        number = int(value) if value == value.to_integral_value() else None
    if number is None or abs(number) > LARGEST_WHOLE_NUMBER:
        raise WhmcsUnexpectedReply(f"{field} is not a whole number")
    return number


def as_decimal(value: object, field: str) -> Decimal:
    """Amounts arrive as strings ("10.00"); JSON numbers were parsed as Decimal, never float."""
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise WhmcsUnexpectedReply(f"{field} is not an amount")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise WhmcsUnexpectedReply(f"{field} is not an amount") from None
    if not amount.is_finite():
        raise WhmcsUnexpectedReply(f"{field} is not an amount")
    exponent = amount.as_tuple().exponent
    if amount.adjusted() >= AMOUNT_INTEGER_DIGITS or (
        isinstance(exponent, int) and exponent < -AMOUNT_MAX_PLACES
    ):
        raise WhmcsUnexpectedReply(f"{field} is not a plausible amount")
    return amount


def as_date(value: object, field: str) -> date:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise WhmcsUnexpectedReply(f"{field} is not a date")


def as_text(value: object) -> str:
    """WHMCS stores input HTML-escaped; unescape once. Escaping for Slack is the renderer's job."""
    if value is None:
        return ""
    if isinstance(value, (str, int, Decimal)) and not isinstance(value, bool):
        return html.unescape(str(value))
    raise WhmcsUnexpectedReply("description is not text")


UNREADABLE_DESCRIPTION = "(description could not be read)"
MAX_DATES_KEPT = 100_000
"""Distinct date texts remembered while reading one reply (about 6 MB at most)."""
MAX_AMOUNTS_KEPT = 10_000
"""Distinct amount texts remembered while reading one reply (about 1 MB at most): rows of the same amount
share one Decimal, about 100 bytes each, a third of a row."""


def readable(parse: Callable[[object, str], Parsed], value: object) -> Parsed | None:
    """`parse(value)`, or None where WHMCS sent something it cannot read: one bad field of one row never
    hides the rest of the log."""
    try:
        return parse(value, "field")
    except WhmcsUnexpectedReply:
        return None


def _entry_id(value: object) -> int | None:
    if type(value) is int and 0 <= value <= LARGEST_WHOLE_NUMBER:  # PHP 8.1 and later: a JSON number
        return value
    return readable(as_int, value)


def _entry_amount(value: object) -> Decimal | None:
    """The common `"-10.00"` read with a few string checks; any other form by `as_decimal`'s rules."""
    if type(value) is str and 3 < len(value) <= 20 and value[-3] == "." and value.isascii():
        whole = value[:-3].removeprefix("-")
        if whole.isdigit() and len(whole) <= AMOUNT_INTEGER_DIGITS and value[-2:].isdigit():
            return Decimal(value)
    return readable(as_decimal, value)


def _entry_text(value: object) -> str:
    try:
        return as_text(value)
    except WhmcsUnexpectedReply:
        return UNREADABLE_DESCRIPTION


def _related(value: object) -> int:
    """`relid`: the invoice of an overpayment or a removal; 0 (none) when missing or unreadable."""
    related = value if type(value) is int else None if value in (None, "") else readable(as_int, value)
    return related if related is not None and related > 0 else 0


CREDIT_FIELDS = frozenset({"id", "date", "description", "amount", "relid"})
"""The fields of a GetCredits row."""
_CONTAINER_KEYS = ("result", "credit")
"""A JSON object with one of these is a reply or a list of rows, never a row (see CreditRows)."""


class CreditRows:
    """Reads the rows of one GetCredits reply into CreditEntry, each field on its own: what cannot be read
    is None. A date and an amount are read once per distinct text: a long log has many rows a day, and
    rows of the same amount then share one Decimal.

    Also the `object_hook` of the JSON decoder (`rows_hook`): each row becomes its CreditEntry the moment
    the decoder has built it, and its dict is dropped at once. A 200,000-entry reply otherwise held its
    200,000 dicts (88 MB) beside the log being built from them; now only the log (and the reply's text)
    are held while it is read (measured in README, How it works: a bounded reply). Which object is a row
    cannot be told from its place while decoding, so the hook takes every object with a row's field and
    neither `result` nor `credit`; `as_list`, `credit_entries` and `credit_log` read a CreditEntry
    wherever they would have read that dict, so every shape gives the same log as through plain dicts.
    """

    def __init__(self) -> None:
        self._dates: dict[str, date | None] = {}
        self._amounts: dict[str, Decimal | None] = {}
        self._made = 0

    def rows_hook(self, raw: dict[str, Any]) -> object:
        """A row decoded as its CreditEntry, numbered in the order decoded; any other object as it is."""
        if "result" in raw or "credit" in raw or raw.keys().isdisjoint(CREDIT_FIELDS):
            return raw
        self._made += 1
        return self.entry(raw, self._made)

    def entry(self, raw: dict[str, Any], position: int) -> CreditEntry:
        get = raw.get
        text = get("description")
        description = (
            (html.unescape(text) if "&" in text else text) if type(text) is str else _entry_text(text)
        )
        day = get("date")
        dates = self._dates
        if type(day) is not str:
            when = None
        elif day in dates:
            when = dates[day]
        else:
            when = readable(as_date, day)
            if len(dates) < MAX_DATES_KEPT:
                dates[day] = when
        value = get("amount")
        amounts = self._amounts
        if type(value) is not str:
            amount = _entry_amount(value)
        elif value in amounts:
            amount = amounts[value]
        else:
            amount = _entry_amount(value)
            if len(amounts) < MAX_AMOUNTS_KEPT:
                amounts[value] = amount
        relid = get("relid")
        return CreditEntry(
            _entry_id(get("id")),
            when,
            description,
            amount,
            invoice_id_for(relid if type(relid) is int and relid > 0 else _related(relid), description),
            position,
        )


def credit_entries(rows: list[Any]) -> list[CreditEntry]:
    """The rows of a GetCredits reply, as dicts or already read by `CreditRows.rows_hook`, numbered by
    their place in the list (a row the hook numbered otherwise, as in a list that came as an object keyed
    "1", "0", takes its place here)."""
    entries: list[CreditEntry] = []
    reader = CreditRows()
    for position, raw in enumerate(rows, start=1):
        kind = type(raw)
        if kind is CreditEntry:
            entries.append(raw if raw.position == position else raw._replace(position=position))
        elif kind is dict:
            entries.append(reader.entry(raw, position))
        else:
            raise WhmcsUnexpectedReply(f"credit entry {position} is not an object")
    return entries


def credit_log(reply: object, client_id: int) -> CreditLog:
    """Parse a GetCredits reply (any accepted shape) into a CreditLog, or raise a typed WHMCS error.

    Only a reply that as a whole is not a credit log is refused (not an object, no result, a list of
    something other than objects); a row with a field that cannot be read is kept, that field None.
    """
    if type(reply) is CreditEntry:  # an object with only a row's fields, read as a row while decoding
        raise WhmcsUnexpectedReply("GetCredits answered without result=success or result=error")
    body = check_result(reply, "GetCredits", str(client_id))
    return CreditLog.of(client_id, credit_entries(as_list(body.get("credits"), "credit")))
