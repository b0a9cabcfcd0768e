"""The access policy as a rule: deny by default, channels first, users, then groups asked lazily."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from bot.core.access import AccessPolicy, Decision, Verdict, check_access

ALICE, BOB, MALLORY = "U0ALICE", "U0BOB", "U0MALLORY"
BILLING, FINANCE = "S0BILLING", "S0FINANCE"


@dataclass
class KnownGroups:
    """Group membership as the cache holds it, and a record of which groups Slack was asked about."""

    cached: dict[str, frozenset[str] | None] = field(default_factory=dict)
    slack: dict[str, frozenset[str] | None] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    def fresh(self, groups: tuple[str, ...]) -> dict[str, frozenset[str] | None]:
        return {group: self.cached[group] for group in groups if group in self.cached}

    def ask(self, group: str) -> frozenset[str] | None:
        self.asked.append(group)
        return self.slack.get(group)


def test_nobody_is_allowed_when_nothing_is_configured() -> None:
    policy = AccessPolicy(users=frozenset(), groups=())
    assert policy.decide(ALICE, "C1", {}) == Decision(Verdict.NOT_ALLOWED)


def test_a_listed_user_is_allowed_without_asking_about_groups() -> None:
    policy = AccessPolicy(users=frozenset({ALICE}), groups=(BILLING,))
    decision = policy.decide(ALICE, "C1", {})
    assert decision == Decision(Verdict.ALLOWED)
    assert decision.allowed


def test_the_channel_rule_comes_before_everything() -> None:
    policy = AccessPolicy(users=frozenset({ALICE}), groups=(), channels=frozenset({"C0BILLING"}))
    assert policy.decide(ALICE, "C0GENERAL", {}) == Decision(Verdict.WRONG_CHANNEL)
    assert policy.decide(ALICE, "C0BILLING", {}).allowed


def test_unknown_groups_are_to_be_asked_in_order() -> None:
    policy = AccessPolicy(users=frozenset(), groups=(BILLING, FINANCE))
    assert policy.decide(BOB, "C1", {}) == Decision(Verdict.ASK_SLACK, (BILLING, FINANCE))
    assert policy.decide(BOB, "C1", {BILLING: frozenset()}) == Decision(Verdict.ASK_SLACK, (FINANCE,))
    assert not Decision(Verdict.ASK_SLACK, (FINANCE,)).allowed


def test_a_known_member_is_allowed_even_while_other_groups_are_unknown() -> None:
    policy = AccessPolicy(users=frozenset(), groups=(BILLING, FINANCE))
    assert policy.decide(BOB, "C1", {FINANCE: frozenset({BOB})}).allowed


def test_a_group_slack_could_not_tell_about_makes_the_person_unverified() -> None:
    policy = AccessPolicy(users=frozenset(), groups=(BILLING, FINANCE))
    members = {BILLING: frozenset({ALICE}), FINANCE: None}
    assert policy.decide(BOB, "C1", members) == Decision(Verdict.UNVERIFIED)
    assert policy.decide(ALICE, "C1", members).allowed


def test_known_answers_for_every_group_deny_a_stranger() -> None:
    policy = AccessPolicy(users=frozenset({ALICE}), groups=(BILLING,))
    assert policy.decide(MALLORY, "C1", {BILLING: frozenset({BOB})}) == Decision(Verdict.NOT_ALLOWED)


def test_the_cache_alone_decides_when_slack_may_not_be_asked() -> None:
    policy = AccessPolicy(users=frozenset(), groups=(BILLING,))
    groups = KnownGroups(slack={BILLING: frozenset({BOB})})
    decision = check_access(policy, groups, BOB, "C1", may_ask_slack=False)
    assert decision == Decision(Verdict.ASK_SLACK, (BILLING,))
    assert groups.asked == []


def test_slack_is_asked_only_about_groups_not_in_the_cache_and_stops_at_the_first_match() -> None:
    third = "S0THIRD"
    policy = AccessPolicy(users=frozenset(), groups=(BILLING, FINANCE, third))
    groups = KnownGroups(
        cached={BILLING: frozenset({ALICE})}, slack={FINANCE: frozenset({BOB}), third: frozenset({BOB})}
    )
    assert check_access(policy, groups, BOB, "C1", may_ask_slack=True).allowed
    assert groups.asked == [FINANCE]


@pytest.mark.parametrize(
    ("answer", "verdict"), [(frozenset({ALICE}), Verdict.NOT_ALLOWED), (None, Verdict.UNVERIFIED)]
)
def test_what_slack_says_decides_after_asking(answer: frozenset[str] | None, verdict: Verdict) -> None:
    policy = AccessPolicy(users=frozenset(), groups=(BILLING,))
    groups = KnownGroups(slack={BILLING: answer})
    assert check_access(policy, groups, BOB, "C1", may_ask_slack=True) == Decision(verdict)
    assert groups.asked == [BILLING]


def test_a_listed_user_never_causes_a_question_to_slack() -> None:
    policy = AccessPolicy(users=frozenset({ALICE}), groups=(BILLING,))
    groups = KnownGroups()
    assert check_access(policy, groups, ALICE, "C1", may_ask_slack=True).allowed
    assert groups.asked == []
