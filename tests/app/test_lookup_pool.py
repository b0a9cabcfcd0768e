"""Draining the lookup pool: accepted lookups finish, nothing new is accepted, the wait is bounded."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from bot.app.lookup_pool import Intake, LookupPool
from tests.waiting import until


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


def test_the_pool_grows_to_its_size_from_a_thread_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 15 §3: `submit` queues the work; the pool's grower starts the threads, so a request thread
    never waits for a new thread to run. All the work still runs at once, up to the pool's size."""
    pool = LookupPool(4)
    together = threading.Barrier(5)
    started_by: list[str] = []
    original_start = threading.Thread.start

    def recording_start(thread: threading.Thread) -> None:
        if thread.name.startswith("lookup_"):
            started_by.append(threading.current_thread().name)
        original_start(thread)

    monkeypatch.setattr(threading.Thread, "start", recording_start)
    try:
        for _ in range(4):
            pool.submit(together.wait, 5)
        together.wait(5)
    finally:
        monkeypatch.undo()
        pool.drain(timeout=5)
    assert started_by == ["lookup-grower"] * 4


def test_work_queued_just_before_a_drain_still_runs() -> None:
    pool = LookupPool(3)
    finished: list[int] = []
    for number in range(6):
        pool.submit(finished.append, number)
    assert pool.drain(timeout=5) == 0
    assert sorted(finished) == list(range(6))


def test_a_free_thread_takes_the_next_work_and_the_pool_never_exceeds_its_size() -> None:
    """The pool is its own executor (no ThreadPoolExecutor internals): work one at a time reuses the one
    thread, and a burst larger than the pool runs on at most `size` threads, the rest queued in order."""
    pool = LookupPool(3)
    one_at_a_time = {pool.submit(lambda: threading.current_thread().name).result(5) for _ in range(4)}
    assert one_at_a_time == {"lookup_0"}
    release = threading.Event()
    ran_on: list[str] = []

    def held() -> None:
        assert release.wait(5)
        ran_on.append(threading.current_thread().name)

    futures = [pool.submit(held) for _ in range(7)]
    release.set()
    assert [future.result(5) for future in futures] == [None] * 7
    assert set(ran_on) <= {"lookup_0", "lookup_1", "lookup_2"}
    pool.shutdown(wait=True)
    assert pool.unfinished == 0


def test_cancel_futures_cancels_what_no_thread_has_taken_and_the_rest_finishes() -> None:
    pool = LookupPool(1)
    started = threading.Event()
    release = threading.Event()

    def running() -> str:
        started.set()
        assert release.wait(5)
        return "done"

    first = pool.submit(running)
    assert started.wait(5)
    queued = [pool.submit(int) for _ in range(3)]
    pool.shutdown(wait=False, cancel_futures=True)
    assert all(future.cancelled() for future in queued)
    assert pool.unfinished == 1
    release.set()
    pool.shutdown(wait=True)
    assert first.result(0) == "done"
    assert pool.unfinished == 0


def test_prestart_has_threads_started_ahead_of_work_within_the_size() -> None:
    """Issue 15: the start has the threads a burst needs started before any work comes; `prestart` never
    goes past the pool's size, and work then runs on those threads without another being started."""
    pool = LookupPool(3, name="side")
    pool.prestart(5)
    until(lambda: {t.name for t in threading.enumerate()} >= {"side_0", "side_1", "side_2"}, "prestarted")
    release = threading.Event()
    futures = [pool.submit(lambda: release.wait(5) and threading.current_thread().name) for _ in range(3)]
    release.set()
    assert {future.result(5) for future in futures} <= {"side_0", "side_1", "side_2"}
    pool.shutdown(wait=True)
    assert not [t for t in threading.enumerate() if t.name.startswith("side_")]


def test_prestart_after_shutdown_starts_nothing() -> None:
    pool = LookupPool(2, name="closed")
    pool.shutdown(wait=True)
    pool.prestart(2)
    assert not [t for t in threading.enumerate() if t.name.startswith("closed")]


def test_lookups_wait_for_the_acknowledgements_in_progress() -> None:
    """Issue 15 §3: work accepted while a request is being acknowledged runs once no request is in the app
    (acknowledgements go first), and work accepted when none is runs at once."""
    intake = Intake(yield_seconds=30, quiet_seconds=0)
    pool = LookupPool(2, intake=intake)
    ran = threading.Event()
    try:
        with intake.serving():
            pool.submit(ran.set)
            assert not ran.wait(0.3), "ran while a request was being acknowledged"
        assert ran.wait(5)
        assert pool.submit(threading.current_thread).result(5) is not None
    finally:
        pool.drain(timeout=5)


def test_a_lookup_waits_for_acknowledgements_a_bounded_time() -> None:
    """However long requests keep arriving, a lookup runs YIELD_SECONDS after it was accepted at most."""
    intake = Intake(yield_seconds=0.2, quiet_seconds=0)
    pool = LookupPool(1, intake=intake)
    try:
        with intake.serving():
            assert pool.submit(lambda: "ran").result(5) == "ran"
    finally:
        pool.drain(timeout=5)


def test_the_lookup_of_a_request_on_its_own_runs_as_soon_as_it_is_acknowledged() -> None:
    """No quiet period is waited out after a lone request (a single command or button press): only a burst,
    several requests begun within QUIET_SECONDS of each other, makes its lookups wait for it to pass (here
    until the 1 s bound)."""
    lone, burst = Intake(yield_seconds=30, quiet_seconds=30), Intake(yield_seconds=1, quiet_seconds=30)
    lone_pool, burst_pool = LookupPool(1, intake=lone), LookupPool(1, intake=burst)
    ran, burst_ran = threading.Event(), threading.Event()
    try:
        with lone.serving():
            lone_pool.submit(ran.set)
        assert ran.wait(5)
        with burst.serving(), burst.serving():
            burst_pool.submit(burst_ran.set)
        assert not burst_ran.wait(0.3), "a burst's lookup ran before the quiet period"
        assert burst_ran.wait(5)
    finally:
        lone_pool.drain(timeout=5)
        burst_pool.drain(timeout=5)
