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


@dataclass(frozen=True, slots=True)
class Filters:
    """Which entries to show: dates inclusive, then the newest `last` of those."""

    since: date | None = None
    until: date | None = None
    last: int | None = None

    @property
    def active(self) -> bool:
        return self != Filters()

    def describe(self) -> str:
        parts = []
        if self.since:
            parts.append(f"since {self.since.isoformat()}")
        if self.until:
            parts.append(f"until {self.until.isoformat()}")
        if self.last:
            parts.append(f"last {self.last:,}")
        return ", ".join(parts)

    @property
    def label(self) -> str:
        """` (since 2024-01-01, last 50)` to follow a count or total, so filtered figures are never mistaken
        for the whole log; empty without filters."""
        return f" ({self.describe()})" if self.active else ""

    def apply(self, log: CreditLog) -> CreditLog:
        """The entries these filters keep, in the same newest-first order, totalled afresh."""
        if not self.active:
            return log
        kept = [
            entry
            for entry in log.entries
            if (self.since is None or entry.date >= self.since)
            and (self.until is None or entry.date <= self.until)
        ]
        if self.last is not None:
            kept = kept[: self.last]
        return CreditLog(client_id=log.client_id, entries=tuple(kept))


NO_FILTERS = Filters()
