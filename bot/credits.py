"""The credit log model: parsed WHMCS credit entries, ordered and totalled exactly with Decimal."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property

_INVOICE_IN_DESCRIPTION = re.compile(r"\binvoice\s*#\s*(\d{1,10})\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class CreditEntry:
    """One row of a client's credit log. `amount` is positive for credit added, negative for credit used."""

    id: int
    date: date
    description: str
    amount: Decimal
    invoice_id: int | None = None


def invoice_id_for(relid: int, description: str) -> int | None:
    """WHMCS sets `relid` to the invoice for overpayments and removals; otherwise the text may name it."""
    if relid > 0:
        return relid
    match = _INVOICE_IN_DESCRIPTION.search(description)
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class CreditLog:
    """A client's whole credit log, newest entry first (WHMCS orders by date only; ties break on id)."""

    client_id: int
    entries: tuple[CreditEntry, ...]

    @classmethod
    def of(cls, client_id: int, entries: Iterable[CreditEntry]) -> CreditLog:
        ordered = sorted(entries, key=lambda entry: (entry.date, entry.id), reverse=True)
        return cls(client_id=client_id, entries=tuple(ordered))

    @property
    def count(self) -> int:
        return len(self.entries)

    @cached_property
    def total(self) -> Decimal:
        return sum((entry.amount for entry in self.entries), Decimal("0.00"))

    @cached_property
    def credits_in(self) -> Decimal:
        return sum((entry.amount for entry in self.entries if entry.amount > 0), Decimal("0.00"))

    @cached_property
    def credits_out(self) -> Decimal:
        return sum((entry.amount for entry in self.entries if entry.amount < 0), Decimal("0.00"))
