"""Waiting for a state that nothing announces: a thread blocked in a wait, a key expired in Redis.

Where a fake or the app can say that something happened (an Event, a Condition, FakeWhmcs.wait_for_calls,
BotUnderTest.settle), tests wait on that. This is for the few states that can only be observed: it polls a
condition, never waits a fixed time, and fails with a sentence when the condition does not come.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from types import CodeType, FrameType

POLL_SECONDS = 0.002


def until(condition: Callable[[], bool], what: str, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        time.sleep(POLL_SECONDS)


def threads_waiting_in(caller: CodeType) -> int:
    """How many threads are blocked in `threading.Event.wait` called directly from the function `caller`."""
    wait = threading.Event.wait.__code__
    count = 0
    for frame in sys._current_frames().values():
        current: FrameType | None = frame
        while current is not None:
            if current.f_code is wait and current.f_back is not None and current.f_back.f_code is caller:
                count += 1
                break
            current = current.f_back
    return count
