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


def error_for(message: str, action: str, client_ref: str) -> WhmcsError:
    """Map WHMCS's `result=error` message to the typed error a caller can explain to a person."""
    lowered = message.strip().lower()
    if lowered in ("client id not found", "client not found"):
        return ClientNotFound(client_ref, message)
    if lowered.startswith(_AUTH_MESSAGES):
        return WhmcsAuthError(message)
    permission = _PERMISSION.search(message)
    if permission:
        return WhmcsPermissionError(message, permission.group(1))
    ip = _INVALID_IP.search(message)
    if ip:
        return WhmcsIpNotAllowed(message, ip.group(1))
    if lowered.startswith(("ip banned", "invalid access key")):
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
    if type(value) is str and len(value) <= 20:
        whole, dot, places = value.removeprefix("-").partition(".")
        if (
            whole.isdigit()
            and whole.isascii()
            and len(whole) <= AMOUNT_INTEGER_DIGITS
            and (not dot or (places.isdigit() and places.isascii() and len(places) <= AMOUNT_MAX_PLACES))
        ):
            return Decimal(value)
    return readable(as_decimal, value)


def _entry_date(value: object, seen: dict[str, date | None]) -> date | None:
    """`seen` holds the dates already read in this reply: a long log has many rows a day."""
    if type(value) is not str:
        return None
    if value in seen:
        return seen[value]
    day = readable(as_date, value)
    if len(seen) < 100_000:
        seen[value] = day
    return day


def _entry_text(value: object) -> str:
    if type(value) is str:
        return html.unescape(value) if "&" in value else value
    try:
        return as_text(value)
    except WhmcsUnexpectedReply:
        return UNREADABLE_DESCRIPTION


def credit_entry(
    raw: dict[str, Any], position: int, seen: dict[str, date | None] | None = None
) -> CreditEntry:
    """One row, every field read on its own: what cannot be read is None (see CreditEntry)."""
    description = _entry_text(raw.get("description"))
    relid = raw.get("relid")
    related = relid if type(relid) is int else readable(as_int, relid) if relid not in (None, "") else 0
    return CreditEntry(
        _entry_id(raw.get("id")),
        _entry_date(raw.get("date"), {} if seen is None else seen),
        description,
        _entry_amount(raw.get("amount")),
        invoice_id_for(related if related and related > 0 else 0, description),
        position,
    )


def credit_log(reply: object, client_id: int) -> CreditLog:
    """Parse a GetCredits reply (any accepted shape) into a CreditLog, or raise a typed WHMCS error.

    Only a reply that as a whole is not a credit log is refused (not an object, no result, a list of
    something other than objects); a row with a field that cannot be read is kept, that field None.
    """
    body = check_result(reply, "GetCredits", str(client_id))
    entries = as_objects(body.get("credits"), "credit", "credit entry")
    seen: dict[str, date | None] = {}
    return CreditLog.of(client_id, (credit_entry(raw, position, seen) for position, raw in entries))
