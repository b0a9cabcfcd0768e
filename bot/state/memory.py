"""A store with expiry in this process's memory: what the bot uses without REDIS_URL, and in tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any


class MemoryStore:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._values: dict[str, tuple[float, Any]] = {}

    def get(self, key: str) -> Any | None:
        with self._lock:
            expires, value = self._values.get(key, (0.0, None))
            return value if self._clock() < expires else None

    def put(self, key: str, value: Any, ttl: float) -> None:
        with self._lock:
            self._values[key] = (self._clock() + ttl, value)
