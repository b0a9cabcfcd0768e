"""The thread pool lookups run on, and draining it when the process is asked to stop.

A lookup is accepted (acknowledged in Slack) before it runs, so stopping the process without waiting for the
pool would leave people looking at "Looking up…" forever.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from bot.telemetry.logs import event

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")


class LookupPool(ThreadPoolExecutor):
    """A ThreadPoolExecutor that counts the work it has accepted and not finished, so it can be drained."""

    def __init__(self, size: int) -> None:
        super().__init__(size, thread_name_prefix="lookup")
        self._unfinished = 0
        self._settled = threading.Condition()

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
        """Accept no more work and wait up to `timeout` seconds for what was accepted; return what is left."""
        self.shutdown(wait=False)
        with self._settled:
            running = self._unfinished
            if running:
                event(logger, "draining_lookups", lookups=running, timeout_s=round(timeout, 1))
            self._settled.wait_for(lambda: self._unfinished == 0, timeout)
            left = self._unfinished
        if left:
            event(logger, "lookups_abandoned", logging.WARNING, lookups=left)
        elif running:
            event(logger, "lookups_drained", lookups=running)
        return left
