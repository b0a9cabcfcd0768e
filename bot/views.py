"""What one answer shows, and the compact reference to it that buttons carry.

A button's value holds everything needed to draw its view again (client, page offset, filters), so a
click works on any web process and after a restart; nothing is kept in server memory. Values come back
from Slack and could be forged, so decoding is strict and access is checked again on every click.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from bot.clients import PLAIN, ClientDetails, Currency
from bot.commands import MAX_LAST
from bot.credits import NO_FILTERS, CreditLog, Filters
from bot.settings import MAX_CLIENT_ID

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
        """The reference a button carried, or None for anything this bot did not write."""
        if not isinstance(value, str) or len(value) > 100:
            return None
        parts = value.split("|")
        if len(parts) != 5 or not all(part.isascii() for part in parts):
            return None
        client, offset, since, until, last = parts
        try:
            ref = cls(
                client_id=int(client),
                offset=int(offset),
                filters=Filters(
                    since=date.fromisoformat(since) if since else None,
                    until=date.fromisoformat(until) if until else None,
                    last=int(last) if last else None,
                ),
            )
        except ValueError:
            return None
        valid = (
            1 <= ref.client_id <= MAX_CLIENT_ID
            and 0 <= ref.offset <= MAX_OFFSET
            and (ref.filters.last is None or 1 <= ref.filters.last <= MAX_LAST)
        )
        return ref if valid else None


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

    def ref(self, offset: int | None = None) -> ViewRef:
        return ViewRef(self.client_id, self.offset if offset is None else offset, self.filters)
