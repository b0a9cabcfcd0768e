"""Who may see billing data: a pure, deny-by-default policy, and the rule for when to ask Slack about groups.

The policy itself does no I/O: it is given what is known about group membership (a set of members, or
None where Slack could not tell) and says allow, deny, or "ask Slack about these groups first". The cached
Slack lookups it asks live in `bot.slack.membership`.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

logger = logging.getLogger(__name__)


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


class GroupMembers(Protocol):
    """What is known of Slack user groups: fresh answers without asking, and asking Slack for one group."""

    def fresh(self, groups: tuple[str, ...]) -> dict[str, frozenset[str] | None]: ...

    def ask(self, group: str) -> frozenset[str] | None: ...


def check_access(
    policy: AccessPolicy, membership: GroupMembers, user_id: str, channel_id: str, *, may_ask_slack: bool
) -> Decision:
    """Decide from the cache; ask Slack for the groups still unknown only when `may_ask_slack`.

    The cache is read only when configuration alone cannot decide: a person listed by id, or a command from
    the wrong channel, never touches the store (Redis), so a stalled store cannot delay their answer.
    """
    decision = policy.decide(user_id, channel_id, {})
    if decision.verdict is not Verdict.ASK_SLACK:
        return decision
    known: dict[str, frozenset[str] | None] = dict(membership.fresh(decision.groups_to_ask))
    decision = policy.decide(user_id, channel_id, known)
    if decision.verdict is Verdict.ASK_SLACK and may_ask_slack:
        for group in decision.groups_to_ask:
            known[group] = membership.ask(group)
            if user_id in (known[group] or ()):
                break
        decision = policy.decide(user_id, channel_id, known)
    return decision
