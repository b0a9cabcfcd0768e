"""Members of Slack user groups, cached and shared, for the access policy."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from bot.core.ports import Store
from bot.state.single_flight import SingleFlight
from bot.telemetry.logs import event

logger = logging.getLogger(__name__)

MEMBERSHIP_FRESH_SECONDS = 300.0


MEMBERSHIP_FALLBACK_SECONDS = 1800.0


FAILURE_MEMORY_SECONDS = 10.0
"""After Slack failed to list a group, how long the failure stands for that group without asking again."""


class GroupMembership:
    """Members of Slack user groups, cached for 5 minutes per group (shared by all processes with Redis).

    Slack allows usergroups.users.list about 20 times a minute, so concurrent askers for the same group in a
    process share one call and its outcome: while Slack hangs, they all have their answer when that one
    call times out, not one after another. A failure is remembered for FAILURE_MEMORY_SECONDS, so the people
    asking right after are answered at once too. When Slack fails, an answer up to 30 minutes old is used;
    older than that, the group is unknown and the policy denies.
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
        self._flights: SingleFlight[str, frozenset[str] | None] = SingleFlight()
        self._failed: dict[str, float] = {}
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
        cached = self._cached(group)
        now = self._clock()
        if cached and now - cached[1] < MEMBERSHIP_FRESH_SECONDS:
            return cached[0]
        with self._guard:
            failed_at = self._failed.get(group)
        if failed_at is not None and 0 <= now - failed_at < FAILURE_MEMORY_SECONDS:
            return _fallback(cached, now)
        return self._flights.run(group, lambda: self._from_slack(group))

    def _from_slack(self, group: str) -> frozenset[str] | None:
        cached = self._cached(group)
        now = self._clock()
        if cached and now - cached[1] < MEMBERSHIP_FRESH_SECONDS:  # a call that just ended stored it
            return cached[0]
        try:
            members = self._fetch(group)
        except Exception as error:  # any failure to ask Slack is the same to the policy: not known
            with self._guard:
                self._failed[group] = self._clock()
            fallback = _fallback(cached, now)
            event(
                logger,
                "usergroup_check_failed",
                logging.WARNING,
                group=group,
                kind=type(error).__name__,
                using_answer_from_s_ago=round(now - cached[1]) if fallback is not None and cached else None,
            )
            return fallback
        with self._guard:
            self._failed.pop(group, None)
        self._store.put(
            f"group:{group}", {"members": sorted(members), "fetched": now}, MEMBERSHIP_FALLBACK_SECONDS
        )
        return members


def _fallback(cached: tuple[frozenset[str], float] | None, now: float) -> frozenset[str] | None:
    """An answer up to MEMBERSHIP_FALLBACK_SECONDS old stands in for Slack; None when there is none."""
    if cached and now - cached[1] < MEMBERSHIP_FALLBACK_SECONDS:
        return cached[0]
    return None
