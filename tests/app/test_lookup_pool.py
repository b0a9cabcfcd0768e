"""Draining the lookup pool: accepted lookups finish, nothing new is accepted, the wait is bounded."""

from __future__ import annotations

import threading
import time

import pytest

from bot.app.lookup_pool import LookupPool


def test_drain_waits_for_accepted_work_including_queued_work() -> None:
    pool = LookupPool(2)
    finished: list[int] = []

    def lookup(number: int) -> None:
        time.sleep(0.2)
        finished.append(number)

    for number in range(4):
        pool.submit(lookup, number)
    assert pool.unfinished == 4
    assert pool.drain(timeout=5) == 0
    assert sorted(finished) == [0, 1, 2, 3]
    assert pool.unfinished == 0


def test_nothing_is_accepted_once_draining() -> None:
    pool = LookupPool(1)
    pool.drain(timeout=1)
    with pytest.raises(RuntimeError):
        pool.submit(time.sleep, 0)
    assert pool.unfinished == 0


def test_drain_gives_up_after_its_timeout_and_says_how_much_is_left(caplog: pytest.LogCaptureFixture) -> None:
    pool = LookupPool(1)
    release = threading.Event()
    pool.submit(release.wait, 5)
    started = time.monotonic()
    with caplog.at_level("INFO", logger="bot.app.lookup_pool"):
        assert pool.drain(timeout=0.3) == 1
    assert 0.3 <= time.monotonic() - started < 1
    release.set()
    assert [record.getMessage() for record in caplog.records] == ["draining_lookups", "lookups_abandoned"]


def test_a_failing_lookup_still_counts_as_finished() -> None:
    pool = LookupPool(1)

    def failing() -> None:
        raise ValueError("boom")

    future = pool.submit(failing)
    assert pool.drain(timeout=1) == 0
    assert isinstance(future.exception(), ValueError)
