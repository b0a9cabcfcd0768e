"""The log and client details of a recent lookup, kept in this process so its buttons need not ask again.

A 50,000-entry log costs a full `GetCredits`, a `GetClientsDetails` and a parse; paging through it,
exporting it or sharing it a moment later would pay all of that again on every press. What a lookup
fetched is kept for KEEP_SECONDS, for the person who asked and that client only, and a press within that
time is drawn from it (its answer says "as of" when it was fetched). A typed `/credits` always asks WHMCS.

Kept per process, never in Redis: billing data stays in the memory of the process that fetched it. A
press that reaches another process, or comes later, or after a restart, fetches again as before (the
button still carries its whole state). Memory is bounded by the number of credit entries kept in all,
the least recently used lookup going first.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.core.views import CreditView

KEEP_SECONDS = 120.0
MAX_KEPT_ENTRIES = 200_000
"""Credit entries kept in all, over every lookup: 55 to 72 MB of parsed log at most (measured: 200,000
entries of one amount, as `benchmarks.hostile` sends, or each of its own, as `benchmarks.parse`; a date
and an amount are one object however many entries share it). A single log larger than that is not kept."""
MAX_KEPT_LOOKUPS = 1_000
"""Lookups kept at once, however small their logs."""

Viewer = tuple[str, str, int]
"""Who may be served a kept lookup: (team, person, client)."""


@dataclass(frozen=True)
class Kept:
    """A lookup's view as WHMCS answered it, and when (the clock's seconds)."""

    view: CreditView
    fetched: float

    @property
    def as_of(self) -> str:
        return f"{datetime.fromtimestamp(self.fetched, UTC):%H:%M} UTC"


class ViewCache:
    """`keep` what a lookup fetched for a viewer; `get` it back within KEEP_SECONDS, or None.

    Kept in the order fetched, so the oldest lookup is both the next to expire and the first to go when
    the bounds are reached.
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        *,
        seconds: float = KEEP_SECONDS,
        max_entries: int = MAX_KEPT_ENTRIES,
        max_lookups: int = MAX_KEPT_LOOKUPS,
    ) -> None:
        self._clock = clock
        self._seconds = seconds
        self._max_entries = max_entries
        self._max_lookups = max_lookups
        self._lock = threading.Lock()
        self._kept: OrderedDict[Viewer, Kept] = OrderedDict()
        self._entries = 0

    def keep(self, viewer: Viewer, view: CreditView) -> None:
        size = view.log.count
        with self._lock:
            self._drop(viewer)
            if size > self._max_entries:
                return
            now = self._clock()
            self._expire(now)
            while self._kept and (
                self._entries + size > self._max_entries or len(self._kept) >= self._max_lookups
            ):
                self._drop(next(iter(self._kept)))
            self._kept[viewer] = Kept(view, now)
            self._entries += size

    def get(self, viewer: Viewer) -> Kept | None:
        with self._lock:
            now = self._clock()
            self._expire(now)
            kept = self._kept.get(viewer)
            if kept is not None and not 0 <= now - kept.fetched < self._seconds:
                self._drop(viewer)  # fetched "in the future": the clock was set back
                return None
            return kept

    @property
    def entries(self) -> int:
        """Credit entries kept now, over every lookup."""
        with self._lock:
            return self._entries

    def __len__(self) -> int:
        with self._lock:
            return len(self._kept)

    def _expire(self, now: float) -> None:
        while self._kept:
            oldest = next(iter(self._kept))
            if now - self._kept[oldest].fetched < self._seconds:
                return
            self._drop(oldest)

    def _drop(self, viewer: Viewer) -> None:
        kept = self._kept.pop(viewer, None)
        if kept is not None:
            self._entries -= kept.view.log.count
