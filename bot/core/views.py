"""What one answer shows, and the compact reference to it that buttons carry.

A button's value holds everything needed to draw its view again (client, page offset, filters), so a
click works on any web process and after a restart, whether or not that process still keeps the lookup
(`bot/app/view_cache.py`, 2 minutes, for the person who made it). Values come back
from Slack and could be forged, so decoding is strict and access is checked again on every click.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from bot.core.clients import PLAIN, ClientDetails, Currency
from bot.core.commands import Invalid, parse_client_id, parse_filters
from bot.core.credits import NO_FILTERS, CreditLog, Filters

PAGE_SIZE = 20
MAX_OFFSET = 10_000_000


@dataclass(frozen=True, slots=True)
class ViewRef:
    client_id: int
    offset: int = 0
    filters: Filters = NO_FILTERS

    def encode(self) -> str:
        parts = [
            str(self.client_id),
            str(self.offset),
            self.filters.since.isoformat() if self.filters.since else "",
            self.filters.until.isoformat() if self.filters.until else "",
            str(self.filters.last) if self.filters.last else "",
        ]
        return "|".join(parts)

    @classmethod
    def decode(cls, value: object) -> ViewRef | None:
        """The reference a button carried, or None for anything this bot did not write.

        The client and filters are read by the same rules as typed text (`parse_client_id`, `parse_filters`),
        so a forged value can ask for nothing that `/credits` would refuse.
        """
        if not isinstance(value, str) or len(value) > 100:
            return None
        parts = value.split("|")
        if len(parts) != 5 or not all(part.isascii() for part in parts):
            return None
        client, offset, since, until, last = parts
        client_id = parse_client_id(client)
        words: list[str] = []
        for name, text in (("since", since), ("until", until), ("last", last)):
            if text:
                words += [name, text]
        filters = parse_filters(words)
        if (
            client_id is None
            or isinstance(filters, Invalid)
            or not offset.isdigit()
            or int(offset) > MAX_OFFSET
        ):
            return None
        return cls(client_id, int(offset), filters)


@dataclass(frozen=True)
class CreditView:
    """A client's log as one answer shows it: all entries (for all-time totals), filters, page, who."""

    log: CreditLog
    filters: Filters = NO_FILTERS
    offset: int = 0
    details: ClientDetails | None = None
    currency: Currency = PLAIN
    notes: tuple[str, ...] = field(default=())

    @property
    def client_id(self) -> int:
        return self.log.client_id

    @cached_property
    def shown(self) -> CreditLog:
        return self.filters.apply(self.log)

    @property
    def differing_balance(self) -> Decimal | None:
        """WHMCS's balance when it is known and is not the sum of the log (entries edited or removed by
        hand), which every answer points out; else None. Also None when the log's sum is incomplete (an
        amount could not be read): the answer says that instead of comparing a sum that is not exact."""
        credit = None if self.details is None else self.details.credit
        if credit is None or not self.log.complete:
            return None
        return credit if credit != self.log.total else None

    def ref(self, offset: int) -> ViewRef:
        """What a button carries: this client and these filters, at the page the button leads to."""
        return ViewRef(self.client_id, offset, self.filters)
