"""ViewCache's bounds: 2 minutes, a number of credit entries in all, a number of lookups, oldest out first."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

from bot.app.lookup_pool import LookupPool
from bot.app.view_cache import PREPARE_CSV_ENTRIES, PREPARE_PIECE, PreparedCsv, ViewCache
from bot.core.credits import CreditEntry, CreditLog
from bot.core.csv_export import credit_log_csv
from bot.core.views import CreditView
from tests.fakes.clock import FakeClock


def view(client_id: int, entries: int) -> CreditView:
    rows = [CreditEntry(n, date(2024, 1, 1), "x", Decimal("1.00"), None) for n in range(entries)]
    return CreditView(CreditLog.of(client_id, rows))


def test_kept_for_its_viewer_until_it_expires() -> None:
    clock = FakeClock()
    cache = ViewCache(clock, seconds=120)
    cache.keep(("T", "U1", 42), view(42, 3))
    assert cache.get(("T", "U2", 42)) is None
    assert cache.get(("T2", "U1", 42)) is None
    kept = cache.get(("T", "U1", 42))
    assert kept is not None and kept.view.client_id == 42
    clock.advance(119.9)
    assert cache.get(("T", "U1", 42)) is not None
    clock.advance(0.1)
    assert cache.get(("T", "U1", 42)) is None
    assert (cache.entries, len(cache)) == (0, 0)


def test_bounded_by_entries_in_all_oldest_first() -> None:
    cache = ViewCache(FakeClock(), max_entries=100)
    cache.keep(("T", "U", 1), view(1, 60))
    cache.keep(("T", "U", 2), view(2, 30))
    cache.keep(("T", "U", 3), view(3, 30))
    assert cache.get(("T", "U", 1)) is None, "the oldest went to make room"
    assert cache.get(("T", "U", 2)) is not None and cache.get(("T", "U", 3)) is not None
    assert cache.entries == 60
    cache.keep(("T", "U", 4), view(4, 101))
    assert cache.get(("T", "U", 4)) is None, "a log over the whole budget is not kept"
    assert cache.entries == 60


def test_bounded_by_lookups_and_a_new_lookup_replaces_the_old() -> None:
    cache = ViewCache(FakeClock(), max_lookups=2)
    cache.keep(("T", "U", 1), view(1, 1))
    cache.keep(("T", "U", 1), view(1, 5))
    assert (cache.entries, len(cache)) == (5, 1)
    cache.keep(("T", "U", 2), view(2, 1))
    cache.keep(("T", "U", 3), view(3, 1))
    assert cache.get(("T", "U", 1)) is None
    assert len(cache) == 2


def test_a_clock_set_back_serves_nothing_it_cannot_date() -> None:
    clock = FakeClock(1000)
    cache = ViewCache(clock)
    cache.keep(("T", "U", 1), view(1, 1))
    clock.advance(-10)
    assert cache.get(("T", "U", 1)) is None


def test_a_big_log_has_its_csv_rows_formatted_once_as_it_is_kept() -> None:
    """Issue 15: a log of PREPARE_CSV_ENTRIES or more is formatted on the `prepare` pool as it is kept;
    Export then gets those very rows. A small log is not sent to the pool, and a log the cache does not
    hold (another lookup of the client meanwhile) is formatted afresh."""
    pool = LookupPool(1, name="prepare")
    cache = ViewCache(FakeClock(), prepare=pool)
    big, small = view(42, PREPARE_CSV_ENTRIES), view(7, 3)
    cache.keep(("T", "U", 42), big)
    cache.keep(("T", "U", 7), small)
    pool.shutdown(wait=True)
    assert pool.unfinished == 0
    kept, kept_small = cache.get(("T", "U", 42)), cache.get(("T", "U", 7))
    assert kept is not None and kept_small is not None
    assert kept.csv.ready and not kept_small.csv.ready
    prepared = cache.csv_rows(("T", "U", 42), big.log)
    assert prepared is kept.csv.rows() and prepared.log is big.log
    assert cache.csv_rows(("T", "U", 7), small.log).text() == credit_log_csv(small.log)
    other = view(42, 2)
    assert cache.csv_rows(("T", "U", 42), other.log).log is other.log
    assert cache.csv_rows(("T", "U", 99), small.log).log is small.log


def test_csv_rows_formatted_in_pieces_are_the_whole_file() -> None:
    """The background formats PREPARE_PIECE rows at a time; an Export press that comes first, or in the
    middle, formats the rest itself: every way, the file is the log's CSV, each row once."""
    log = CreditLog.of(
        42,
        [
            CreditEntry(n, date(2024, 1, 1 + n % 28), f"=top-up, #{n}", Decimal(n) / 100, n or None)
            for n in range(2 * PREPARE_PIECE + 17)
        ],
    )
    whole = credit_log_csv(log)
    in_the_background = PreparedCsv(log)
    in_the_background.prepare()
    assert in_the_background.ready and in_the_background.rows().text() == whole
    pressed_first = PreparedCsv(log)
    assert pressed_first.rows().text() == whole
    pressed_first.prepare()  # the background finds the rows done and adds none
    assert pressed_first.rows().text() == whole
    racing = PreparedCsv(log)
    background = threading.Thread(target=racing.prepare)
    background.start()
    pressed = racing.rows().text()
    background.join(timeout=10)
    assert pressed == whole and racing.rows().text() == whole
