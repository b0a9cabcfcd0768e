"""The log and client details of a recent lookup, kept in this process so its buttons need not ask again.

A 50,000-entry log costs a full `GetCredits`, a `GetClientsDetails` and a parse; paging through it,
exporting it or sharing it a moment later would pay all of that again on every press. What a lookup
fetched is kept for KEEP_SECONDS, for the person who asked and that client only, and a press within that
time is drawn from it (its answer says "as of" when it was fetched). A typed `/credits` always asks WHMCS.

Kept per process, never in Redis: billing data stays in the memory of the process that fetched it. A
press that reaches another process, or comes later, or after a restart, fetches again as before (the
button still carries its whole state). Memory is bounded by the number of credit entries kept in all,
the least recently used lookup going first.

A big log's CSV rows are formatted once, in the background as it is kept (`PreparedCsv`), so that Export
CSV only joins them: formatting 50,000 entries takes a quarter of a second or more, joining them a few
milliseconds.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.core.credits import CreditLog
from bot.core.csv_export import CsvRows, csv_lines
from bot.core.views import CreditView

KEEP_SECONDS = 120.0
MAX_KEPT_ENTRIES = 200_000
"""Credit entries kept in all, over every lookup: 55 to 72 MB of parsed log at most (measured: 200,000
entries of one amount, as `benchmarks.hostile` sends, or each of its own, as `benchmarks.parse`; a date
and an amount are one object however many entries share it). A single log larger than that is not kept."""
MAX_KEPT_LOOKUPS = 1_000
"""Lookups kept at once, however small their logs."""
PREPARE_CSV_ENTRIES = 5_000
"""Logs of at least this many entries have their CSV rows formatted as they are kept (about 120 bytes an
entry while kept: at most about 24 MB over MAX_KEPT_ENTRIES); a smaller log formats in a few milliseconds
when Export is pressed."""

PREPARE_PIECE = 1_000
"""Rows formatted at a time in the background: about 1.5 ms of interpreter time on 2 cores."""
PAUSE_SECONDS = 0.001
"""The background's pause between two pieces, in which other threads have the interpreter."""

Viewer = tuple[str, str, int]
"""Who may be served a kept lookup: (team, person, client)."""


class PreparedCsv:
    """A kept log's CSV rows, formatted at most once: in the background, a piece at a time (`prepare`), or
    by an Export press, which formats at once whatever the background has not reached yet.

    The background pauses PAUSE_SECONDS after each piece of PREPARE_PIECE rows. Formatting is all
    interpreter time, and a press pressed meanwhile (Older, Newer) waits for the interpreter after each of
    its socket reads and writes: up to the interpreter's switch interval (5 ms) behind an unbroken
    formatting, a few dozen times. In pieces of about 1.5 ms each, what a press waits is shorter and
    the formatting finishes at most about twice as late.
    """

    def __init__(self, log: CreditLog) -> None:
        self._log = log
        self._lock = threading.Lock()
        self._lines: list[str] = []
        self._rows: CsvRows | None = None

    @property
    def ready(self) -> bool:
        """Whether the rows are formatted already."""
        return self._rows is not None

    def prepare(self) -> None:
        """Format the rows in the background, a piece at a time."""
        while not self._format(PREPARE_PIECE):
            time.sleep(PAUSE_SECONDS)

    def rows(self) -> CsvRows:
        self._format(None)
        assert self._rows is not None
        return self._rows

    def _format(self, piece: int | None) -> bool:
        """Format the next `piece` rows (None: all that are left); whether every row is formatted now."""
        with self._lock:
            if self._rows is None:
                done = len(self._lines)
                self._lines.extend(
                    csv_lines(self._log.entries[done : None if piece is None else done + piece])
                )
                if len(self._lines) == len(self._log.entries):
                    self._rows = CsvRows(self._log, self._lines)
            return self._rows is not None


@dataclass(frozen=True)
class Kept:
    """A lookup's view as WHMCS answered it, and when (the clock's seconds)."""

    view: CreditView
    fetched: float
    csv: PreparedCsv = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "csv", PreparedCsv(self.view.log))

    @property
    def as_of(self) -> str:
        return f"{datetime.fromtimestamp(self.fetched, UTC):%H:%M} UTC"


class ViewCache:
    """`keep` what a lookup fetched for a viewer; `get` it back within KEEP_SECONDS, or None.

    Kept in the order fetched, so the oldest lookup is both the next to expire and the first to go when
    the bounds are reached. With `prepare`, a log of PREPARE_CSV_ENTRIES or more has its CSV rows formatted
    on that executor as it is kept.
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        *,
        seconds: float = KEEP_SECONDS,
        max_entries: int = MAX_KEPT_ENTRIES,
        max_lookups: int = MAX_KEPT_LOOKUPS,
        prepare: Executor | None = None,
    ) -> None:
        self._clock = clock
        self._prepare = prepare
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
            kept = Kept(view, now)
            self._kept[viewer] = kept
            self._entries += size
        if self._prepare is not None and size >= PREPARE_CSV_ENTRIES:
            with contextlib.suppress(RuntimeError):  # the pool is draining: the press formats them itself
                self._prepare.submit(kept.csv.prepare)

    def get(self, viewer: Viewer) -> Kept | None:
        with self._lock:
            now = self._clock()
            self._expire(now)
            kept = self._kept.get(viewer)
            if kept is not None and not 0 <= now - kept.fetched < self._seconds:
                self._drop(viewer)  # fetched "in the future": the clock was set back
                return None
            return kept

    def csv_rows(self, viewer: Viewer, log: CreditLog) -> CsvRows:
        """The CSV rows of `log`: those of the viewer's kept lookup when it kept this very log (formatted
        once), else formatted now."""
        kept = self.get(viewer)
        if kept is not None and kept.view.log is log:
            return kept.csv.rows()
        return CsvRows(log)

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
