"""Draining the lookup pool: accepted lookups finish, nothing new is accepted, the wait is bounded."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from bot.app.lookup_pool import LookupPool


class ReleaseWhenDraining(logging.Handler):
    """Opens `gate` when the pool says it is draining: the work is certainly unfinished when drain begins."""

    def __init__(self, gate: threading.Event) -> None:
        super().__init__()
        self.gate = gate

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() == "draining_lookups":
            self.gate.set()


def test_drain_waits_for_accepted_work_including_queued_work(caplog: pytest.LogCaptureFixture) -> None:
    pool = LookupPool(2)
    finished: list[int] = []
    draining = threading.Event()

    def lookup(number: int) -> None:
        assert draining.wait(5)
        finished.append(number)

    for number in range(4):
        pool.submit(lookup, number)
    assert pool.unfinished == 4
    watcher = ReleaseWhenDraining(draining)
    logger = logging.getLogger("bot.app.lookup_pool")
    logger.addHandler(watcher)
    try:
        with caplog.at_level("INFO", logger="bot.app.lookup_pool"):
            assert pool.drain(timeout=5) == 0
    finally:
        logger.removeHandler(watcher)
    assert sorted(finished) == [0, 1, 2, 3]
    assert pool.unfinished == 0


def test_nothing_is_accepted_once_draining() -> None:
    pool = LookupPool(1)
    pool.drain(timeout=1)
    with pytest.raises(RuntimeError):
        pool.submit(int)
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
