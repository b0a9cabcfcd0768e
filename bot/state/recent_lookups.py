"""Each person's recent lookups, in the shared store (Redis when set, else the process), for the Home tab.

Ids and client names only, never amounts; at most 10 a person, each kept 30 days (`bot.core.home`). The
list is read and written whole: two lookups by one person at the same moment on two processes may keep
only one of them, which costs a line on the Home tab and nothing else.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from bot.core.home import RECENT_SECONDS, RecentLookup, recent_of_json, remember
from bot.core.ports import Store
from bot.telemetry.logs import event

logger = logging.getLogger(__name__)


class RecentLookups:
    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._clock = clock
        self._lock = threading.Lock()

    def of(self, user_id: str) -> list[RecentLookup]:
        try:
            return recent_of_json(self._store.get(f"recent:{user_id}"), self._clock())
        except Exception as error:  # a store that fails leaves the Home tab without its list
            event(logger, "recent_lookups_failed", logging.WARNING, kind=type(error).__name__)
            return []

    def add(self, user_id: str, client_id: int, name: str | None) -> None:
        with self._lock:
            kept = remember(self.of(user_id), client_id, name, self._clock())
            try:
                self._store.put(f"recent:{user_id}", [item.as_json() for item in kept], RECENT_SECONDS)
            except Exception as error:
                event(logger, "recent_lookups_failed", logging.WARNING, kind=type(error).__name__)
