"""The thread pool lookups run on, the lookups it has promised an answer, and draining both on shutdown.

A lookup is accepted (acknowledged in Slack) before it runs, so stopping the process without waiting for the
pool would leave people looking at "Looking up…" forever. Each acknowledged request is registered as a
`Promise`; the drain waits for the pool, and whoever is still waiting when its time runs out (running, or
queued and never started) is told that the bot restarted, with an audit record.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from functools import partial
from typing import Any, ParamSpec, TypeVar

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


YIELD_SECONDS = 1.0
"""How long a lookup may wait for acknowledgements in progress before it runs anyway."""
QUIET_SECONDS = 0.02
"""How long no request must have been in the app before waiting lookups run: the event loop hands
requests to the app one by one, and a gap of a few milliseconds between two is not the end of a burst.
Not longer: a button pressed within this time of the previous press's request waits it out (50 ms
brought a 40-command burst's last acknowledgements from 1.4-2.1x to 1.4-1.7x the bare floor, and Newer
and Share pressed right after another press from 3-30 ms to 55 ms)."""


class Intake:
    """Slack's requests being acknowledged right now, so that lookups can let them go first.

    The interpreter runs one thread at a time and shares itself evenly between those that want it: under a
    burst, the lookups started by the first acknowledgements (each a WHMCS request built with `requests`,
    a reply parsed, an answer rendered and posted) took most of it from the acknowledgements still to come.
    Acknowledging is all of the burst's work that has a deadline (Slack's 3 s), and it is short; so a
    lookup waits (`wait_quiet`) until no request has been in the app for QUIET_SECONDS, or YIELD_SECONDS
    after it was accepted at most, whichever comes first. A lookup accepted while nothing else arrives
    (its own request the only one begun within QUIET_SECONDS) runs as soon as its acknowledgement is out.

    The waiting lookups wait on one Event, set by one thread of the intake's own once the requests have
    been quiet long enough: hundreds of lookups polling the count themselves cost more interpreter time
    than they saved.
    """

    def __init__(
        self,
        yield_seconds: float = YIELD_SECONDS,
        quiet_seconds: float = QUIET_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._yield = yield_seconds
        self._quiet_seconds = quiet_seconds
        self._clock = clock
        self._changed = threading.Condition()
        self._serving = 0
        self._last_ended = float("-inf")
        self._recent: deque[float] = deque()
        """When the requests of the last QUIET_SECONDS began (as of the latest one)."""
        self._quiet = threading.Event()
        self._quiet.set()
        self._watcher: threading.Thread | None = None

    @contextmanager
    def serving(self) -> Iterator[None]:
        """Around one request's acknowledgement."""
        with self._changed:
            self._serving += 1
            now = self._clock()
            self._recent.append(now)
            while self._recent[0] < now - self._quiet_seconds:
                self._recent.popleft()  # the one just added stays
            self._quiet.clear()
            if self._watcher is None:
                self._watcher = threading.Thread(target=self._watch, name="intake-quiet", daemon=True)
                self._watcher.start()
        try:
            yield
        finally:
            with self._changed:
                self._serving -= 1
                self._last_ended = self._clock()
                while self._recent and self._recent[0] < self._last_ended - self._quiet_seconds:
                    self._recent.popleft()
                if not self._serving and len(self._recent) <= 1:
                    self._quiet.set()  # a request on its own, not a burst: nothing to wait for
                elif not self._serving:
                    self._changed.notify()

    def wait_quiet(self, accepted: float) -> None:
        """Return once no request has been served for QUIET_SECONDS, or YIELD_SECONDS after `accepted`."""
        self._quiet.wait(max(accepted + self._yield - self._clock(), 0.0))

    def _watch(self) -> None:
        """Set the Event once requests have been quiet for QUIET_SECONDS (the intake's own thread)."""
        with self._changed:
            while True:
                if self._serving or self._quiet.is_set():
                    self._changed.wait()
                    continue
                quiet_for = self._clock() - self._last_ended
                if quiet_for >= self._quiet_seconds:
                    self._quiet.set()
                else:
                    self._changed.wait(self._quiet_seconds - quiet_for)


class _Work:
    """One submitted call, the future that reports it, and when it was accepted."""

    __slots__ = ("accepted", "call", "future")

    def __init__(self, future: Future[Any], call: Callable[[], Any]) -> None:
        self.future = future
        self.call = call
        self.accepted = time.monotonic()

    def run(self, freed: Callable[[], None]) -> None:
        """Run the call unless cancelled; `freed()` comes before the future is done, so that whoever sees
        it done and submits again finds this thread counted free rather than having one started."""
        if not self.future.set_running_or_notify_cancel():
            freed()
            return
        try:
            result = self.call()
        except BaseException as error:
            freed()
            self.future.set_exception(error)
        else:
            freed()
            self.future.set_result(result)


class LookupPool(Executor):
    """An executor of up to `size` threads that counts the work it has accepted and not finished, so it
    can be drained, and tells the people of `acknowledged` requests that it could not finish.

    It grows from a thread of its own. A ThreadPoolExecutor starts a new thread inside `submit` when none
    is idle, and `Thread.start()` waits until that thread has run; under a burst, with hundreds of threads
    wanting the interpreter, that wait was about four fifths of an acknowledgement's time (py-spy,
    `python -m benchmarks.ack_profile`), paid in the request thread before the acknowledgement went out.
    Here `submit` only queues the work and, when no thread is free for it, counts a thread owed; the
    grower starts them, one at a time, and the work waits in the queue meanwhile.

    It is its own small executor rather than a ThreadPoolExecutor whose thread starting is moved: the only
    hook for that is ThreadPoolExecutor's private `_adjust_thread_count`, which may change in any Python
    release, so this uses nothing but public APIs (`Executor`, `Future`, `queue.SimpleQueue`, threads).
    Its threads are daemon threads: nothing would otherwise let the interpreter exit past idle ones, and on
    the way out it is `drain` that waits for lookups and tells whoever it gave up on. Built before gunicorn
    forks (preload_app) and first used after, so its threads only ever start in the worker.
    """

    def __init__(
        self,
        size: int,
        acknowledged: Acknowledged | None = None,
        *,
        name: str = "lookup",
        intake: Intake | None = None,
    ) -> None:
        if size < 1:
            raise ValueError("a lookup pool needs at least one thread")
        self.size = size
        self.name = name
        self._intake = intake
        """With an intake, each work waits for the acknowledgements in progress before it runs."""
        self.acknowledged = acknowledged if acknowledged is not None else Acknowledged()
        self._queue: queue.SimpleQueue[_Work | None] = queue.SimpleQueue()
        lock = threading.Lock()
        self._settled = threading.Condition(lock)
        """Notified when the last unfinished work finishes (what `drain` waits for)."""
        self._wanted = threading.Condition(lock)
        """Notified when a thread is owed, or on shutdown (what the grower waits for)."""
        self._closed = False
        self._unfinished = 0
        self._threads = 0
        """Threads started, or owed and about to be."""
        self._owed = 0
        self._free = 0
        """Threads waiting for work (owed ones included, which will be as soon as they run)."""
        self._queued = 0
        """Work in the queue that no thread has taken yet."""
        self._grower: threading.Thread | None = None
        self._workers: list[threading.Thread] = []

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = Future()
        work = _Work(future, partial(fn, *args, **kwargs))
        with self._wanted:
            if self._closed:
                raise RuntimeError("the lookup pool is draining and accepts no new work")
            self._unfinished += 1
            self._queued += 1
            self._queue.put(work)
            if self._queued > self._free:
                self._owe(1)
        future.add_done_callback(lambda _: self._finished())
        return future

    def prestart(self, threads: int) -> None:
        """Have `threads` threads (at most `size`) started ahead of need, without waiting for them.

        A burst larger than any before it would otherwise find the pool short and wait while the grower
        starts threads one at a time, each `Thread.start()` waiting for its thread to run while hundreds of
        others want the interpreter; at a quiet start that costs milliseconds. Threads are never retired,
        so a pool that has been up a while is this size anyway."""
        with self._wanted:
            if not self._closed:
                self._owe(threads - self._threads)

    def _owe(self, count: int) -> None:
        """Count `count` more threads (within `size`) as started and free, and have the grower start them.
        Called with the lock held."""
        count = min(count, self.size - self._threads)
        if count <= 0:
            return
        self._threads += count
        self._free += count
        self._owed += count
        self._wanted.notify()
        if self._grower is None:
            self._grower = threading.Thread(target=self._grow, name=f"{self.name}-grower", daemon=True)
            self._grower.start()

    def _grow(self) -> None:
        """Start the threads owed, one at a time. After shutdown it still starts those owed, so that the
        work accepted before it runs (or is cancelled) as many at a time as it would have."""
        while True:
            with self._wanted:
                self._wanted.wait_for(lambda: self._owed > 0 or self._closed)
                if not self._owed:
                    return
                self._owed -= 1
                name = f"{self.name}_{len(self._workers)}"
                worker = threading.Thread(target=self._serve, name=name, daemon=True)
                self._workers.append(worker)
            worker.start()

    def _serve(self) -> None:
        """A pool thread: run queued work in order until it meets the end of the queue after shutdown."""
        while True:
            work = self._queue.get()
            if work is None:
                self._queue.put(None)  # for the next thread
                return
            with self._wanted:
                self._queued -= 1
                self._free -= 1
            if self._intake is not None:
                self._intake.wait_quiet(work.accepted)
            work.run(self._freed)
            del work

    def _freed(self) -> None:
        with self._wanted:
            self._free += 1

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Accept no more work; with `cancel_futures`, cancel what no thread has taken yet (the rest still
        runs); with `wait`, return once every thread has ended."""
        cancelled: list[_Work] = []
        with self._wanted:
            self._closed = True
            if cancel_futures:
                while True:
                    try:
                        work = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if work is not None:
                        cancelled.append(work)
                self._queued -= len(cancelled)
            self._wanted.notify_all()
        self._queue.put(None)
        for work in cancelled:
            work.future.cancel()
        if wait:
            grower = self._grower
            if grower is not None:
                grower.join()
            with self._wanted:
                workers = list(self._workers)
            for worker in workers:
                worker.join()

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
