"""The thread pool lookups run on, the lookups it has promised an answer, and draining both on shutdown.

A lookup is accepted (acknowledged in Slack) before it runs, so stopping the process without waiting for the
pool would leave people looking at "Looking up…" forever. Each acknowledged request is registered as a
`Promise`; the drain waits for the pool, and whoever is still waiting when its time runs out (running, or
queued and never started) is told that the bot restarted, with an audit record.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import ParamSpec, TypeVar

from bot.telemetry.logs import event

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

TELL_SECONDS = 2.0
"""Of the drain's time, what is kept at the end to tell the people still waiting (at most half of it, and
nothing when nobody is owed an answer)."""

TELLING_THREADS = 16


class Acknowledged:
    """The requests that were acknowledged and have not been answered yet, by request id.

    Exactly one side answers each: the lookup, with its answer (`keep` says it may), or the drain, with
    "the bot restarted" (`interrupt`). Kept by request id, so that the record holds nothing but the callable
    that tells the person.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[str, Callable[[], None]] = {}
        self._told: set[str] = set()

    def promise(self, request_id: str, interrupted: Callable[[], None]) -> None:
        """Register an acknowledged request; `interrupted()` tells its person if the process stops first."""
        with self._lock:
            self._open[request_id] = interrupted

    def keep(self, request_id: str) -> bool:
        """Take the right to answer; False when the drain has told this person already."""
        with self._lock:
            self._open.pop(request_id, None)
            return request_id not in self._told

    @property
    def waiting(self) -> int:
        with self._lock:
            return len(self._open)

    def interrupt(self, timeout: float) -> int:
        """Tell everyone still waiting, several at a time, within `timeout` seconds; how many were told."""
        with self._lock:
            owed = list(self._open.values())
            self._told.update(self._open)
            self._open.clear()
        if not owed:
            return 0
        telling = ThreadPoolExecutor(min(TELLING_THREADS, len(owed)), thread_name_prefix="interrupted")
        calls = [telling.submit(tell) for tell in owed]
        telling.shutdown(wait=False)
        _, not_done = wait(calls, timeout)
        event(
            logger,
            "lookups_interrupted",
            logging.WARNING,
            told=len(owed),
            not_confirmed_in_time=len(not_done),
        )
        return len(owed)


class LookupPool(ThreadPoolExecutor):
    """A ThreadPoolExecutor that counts the work it has accepted and not finished, so it can be drained,
    and tells the people of `acknowledged` requests that it could not finish.

    It grows from a thread of its own. A ThreadPoolExecutor starts a new thread inside `submit` when none
    is idle, and `Thread.start()` waits until that thread has run; under a burst, with hundreds of threads
    wanting the interpreter, that wait was about four fifths of an acknowledgement's time (py-spy,
    `python -m benchmarks.ack_profile`), paid in the request thread before the acknowledgement went out.
    Here `submit` only queues the work and counts a thread owed; the grower starts them, one at a time,
    and the work waits in the queue meanwhile.
    """

    def __init__(self, size: int, acknowledged: Acknowledged | None = None) -> None:
        super().__init__(size, thread_name_prefix="lookup")
        self.acknowledged = acknowledged if acknowledged is not None else Acknowledged()
        self._unfinished = 0
        self._settled = threading.Condition()
        self._owed = 0
        self._wanted = threading.Condition()
        self._grower: threading.Thread | None = None

    def _adjust_thread_count(self) -> None:
        """Called by `submit` for every item it queues: counted here, acted on by the grower."""
        with self._wanted:
            self._owed += 1
            self._wanted.notify()
            if self._grower is None or not self._grower.is_alive():  # first use in this process (or fork)
                self._grower = threading.Thread(target=self._grow, name="lookup-grower", daemon=True)
                self._grower.start()

    def _grow(self) -> None:
        """Per item queued, what `submit` would have done: nothing if a thread is idle, else start one.
        After shutdown it still starts those owed, so that work accepted before it runs (or is cancelled)."""
        while True:
            with self._wanted:
                self._wanted.wait_for(lambda: self._owed > 0 or self._shutdown)
                if not self._owed:
                    return
                self._owed -= 1
            super()._adjust_thread_count()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        super().shutdown(wait, cancel_futures=cancel_futures)
        with self._wanted:
            self._wanted.notify_all()

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        with self._settled:
            self._unfinished += 1
        try:
            future = super().submit(fn, *args, **kwargs)
        except BaseException:
            self._finished()
            raise
        future.add_done_callback(lambda _: self._finished())
        return future

    def _finished(self) -> None:
        with self._settled:
            self._unfinished -= 1
            self._settled.notify_all()

    @property
    def unfinished(self) -> int:
        with self._settled:
            return self._unfinished

    def drain(self, timeout: float) -> int:
        """Accept no more work, wait for what was accepted, and within `timeout` seconds in all tell
        everyone still waiting that the bot restarted; return how many lookups were left unfinished."""
        ends = time.monotonic() + timeout
        self.shutdown(wait=False)
        with self._settled:
            running = self._unfinished
            if running:
                event(logger, "draining_lookups", lookups=running, timeout_s=round(timeout, 1))
            telling = min(TELL_SECONDS, timeout / 2) if self.acknowledged.waiting else 0.0
            self._settled.wait_for(lambda: self._unfinished == 0, timeout - telling)
            left = self._unfinished
        if left:
            self.shutdown(wait=False, cancel_futures=True)  # what has not started never will
            event(logger, "lookups_abandoned", logging.WARNING, lookups=left)
        elif running:
            event(logger, "lookups_drained", lookups=running)
        self.acknowledged.interrupt(max(ends - time.monotonic(), 0.0))
        return left
