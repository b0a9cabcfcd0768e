"""Who may see billing data: a pure, deny-by-default policy, and the cached Slack user-group lookups it needs.

The policy itself does no I/O: it is given what is known about group membership (a set of members, or
None where Slack could not tell) and says allow, deny, or "ask Slack about these groups first".
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.logs import event
from bot.shared_state import Store

logger = logging.getLogger(__name__)

MEMBERSHIP_FRESH_SECONDS = 300.0
MEMBERSHIP_FALLBACK_SECONDS = 1800.0


class Verdict(enum.Enum):
    ALLOWED = "allowed"
    WRONG_CHANNEL = "wrong_channel"
    NOT_ALLOWED = "not_allowed"
    UNVERIFIED = "unverified"
    ASK_SLACK = "ask_slack"


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    groups_to_ask: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.verdict is Verdict.ALLOWED


@dataclass(frozen=True, slots=True)
class AccessPolicy:
    """Allowed users and user groups (deny when both are empty), optionally limited to some channels."""

    users: frozenset[str]
    groups: tuple[str, ...]
    channels: frozenset[str] = frozenset()

    def decide(self, user_id: str, channel_id: str, members: Mapping[str, frozenset[str] | None]) -> Decision:
        """`members` holds what is known of each group: its members, None when Slack could not say,
        and no key when it has not been asked yet.
        """
        if self.channels and channel_id not in self.channels:
            return Decision(Verdict.WRONG_CHANNEL)
        if user_id in self.users:
            return Decision(Verdict.ALLOWED)
        unknown = tuple(group for group in self.groups if group not in members)
        if any(user_id in (members.get(group) or ()) for group in self.groups):
            return Decision(Verdict.ALLOWED)
        if unknown:
            return Decision(Verdict.ASK_SLACK, unknown)
        if any(members.get(group) is None for group in self.groups):
            return Decision(Verdict.UNVERIFIED)
        return Decision(Verdict.NOT_ALLOWED)


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


def check_access(
    policy: AccessPolicy, membership: GroupMembership, user_id: str, channel_id: str, *, may_ask_slack: bool
) -> Decision:
    """Decide from the cache; ask Slack for the groups still unknown only when `may_ask_slack`."""
    known: dict[str, frozenset[str] | None] = dict(membership.fresh(policy.groups))
    decision = policy.decide(user_id, channel_id, known)
    if decision.verdict is Verdict.ASK_SLACK and may_ask_slack:
        for group in decision.groups_to_ask:
            known[group] = membership.ask(group)
            if user_id in (known[group] or ()):
                break
        decision = policy.decide(user_id, channel_id, known)
    return decision
