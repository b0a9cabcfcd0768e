"""Members of Slack user groups, cached and shared, for the access policy."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from bot.core.ports import Store
from bot.telemetry.logs import event

logger = logging.getLogger(__name__)

MEMBERSHIP_FRESH_SECONDS = 300.0


MEMBERSHIP_FALLBACK_SECONDS = 1800.0


class GroupMembership:
    """Members of Slack user groups, cached for 5 minutes per group (shared by all processes with Redis).

    Slack allows usergroups.users.list about 20 times a minute, so concurrent askers for the same group in a
    process wait for one call. When Slack fails, an answer up to 30 minutes old is used; older than that, the
    group is unknown and the policy denies.
    """

    def __init__(
        self,
        fetch: Callable[[str], frozenset[str]],
        store: Store,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._fetch = fetch
        self._store = store
        self._clock = clock
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _cached(self, group: str) -> tuple[frozenset[str], float] | None:
        value = self._store.get(f"group:{group}")
        if not isinstance(value, dict):
            return None
        return frozenset(value["members"]), float(value["fetched"])

    def fresh(self, groups: tuple[str, ...]) -> dict[str, frozenset[str] | None]:
        """What is known without asking Slack: fresh cache entries only."""
        now = self._clock()
        known: dict[str, frozenset[str] | None] = {}
        for group in groups:
            cached = self._cached(group)
            if cached and now - cached[1] < MEMBERSHIP_FRESH_SECONDS:
                known[group] = cached[0]
        return known

    def ask(self, group: str) -> frozenset[str] | None:
        """Members of `group`, from Slack when the cache is stale; None when nobody can say."""
        with self._guard:
            lock = self._locks.setdefault(group, threading.Lock())
        with lock:
            cached = self._cached(group)
            now = self._clock()
            if cached and now - cached[1] < MEMBERSHIP_FRESH_SECONDS:
                return cached[0]
            try:
                members = self._fetch(group)
            except Exception as error:  # any failure to ask Slack is the same to the policy: not known
                fallback = cached if cached and now - cached[1] < MEMBERSHIP_FALLBACK_SECONDS else None
                event(
                    logger,
                    "usergroup_check_failed",
                    logging.WARNING,
                    group=group,
                    kind=type(error).__name__,
                    using_answer_from_s_ago=round(now - fallback[1]) if fallback else None,
                )
                return fallback[0] if fallback else None
            self._store.put(
                f"group:{group}", {"members": sorted(members), "fetched": now}, MEMBERSHIP_FALLBACK_SECONDS
            )
            return members
