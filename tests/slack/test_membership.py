"""Group membership in-process: a fetch that counts its calls, a memory store and a fake clock."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.slack.membership import (
    FAILURE_MEMORY_SECONDS,
    MEMBERSHIP_FALLBACK_SECONDS,
    MEMBERSHIP_FRESH_SECONDS,
    GroupMembership,
)
from bot.state.memory import MemoryStore
from bot.state.single_flight import SingleFlight
from tests.fakes.clock import FakeClock
from tests.waiting import threads_waiting_in, until

BILLING = frozenset({"U1", "U2"})


class Slack:
    """usergroups.users.list as the membership sees it: members, or the failure it is told to raise."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.failure: Exception | None = None
        self.gate: threading.Event | None = None

    def __call__(self, group: str) -> frozenset[str]:
        self.asked.append(group)
        if self.gate is not None:
            self.gate.wait(10)
        if self.failure is not None:
            raise self.failure
        return BILLING


@pytest.fixture
def slack() -> Slack:
    return Slack()


def membership(slack: Slack, clock: FakeClock) -> GroupMembership:
    return GroupMembership(slack, MemoryStore(clock), clock=clock)


def test_an_answer_is_used_for_five_minutes_then_asked_again(slack: Slack, clock: FakeClock) -> None:
    groups = membership(slack, clock)
    assert groups.ask("S1") == BILLING
    clock.advance(MEMBERSHIP_FRESH_SECONDS - 1)
    assert groups.ask("S1") == BILLING
    assert slack.asked == ["S1"]
    clock.advance(1)
    assert groups.ask("S1") == BILLING
    assert slack.asked == ["S1", "S1"]


def test_fresh_tells_only_what_is_known_without_asking_slack(slack: Slack, clock: FakeClock) -> None:
    groups = membership(slack, clock)
    assert groups.fresh(("S1", "S2")) == {}
    groups.ask("S1")
    assert groups.fresh(("S1", "S2")) == {"S1": BILLING}
    clock.advance(MEMBERSHIP_FRESH_SECONDS)
    assert groups.fresh(("S1",)) == {}, "stale is not fresh, even while it may stand in for Slack"
    assert slack.asked == ["S1"]


def test_a_failure_stands_for_ten_seconds_without_asking_again(slack: Slack, clock: FakeClock) -> None:
    groups = membership(slack, clock)
    slack.failure = ConnectionError("Slack is down")
    assert groups.ask("S1") is None, "no answer to fall back on: not known"
    clock.advance(FAILURE_MEMORY_SECONDS - 0.1)
    assert groups.ask("S1") is None
    assert slack.asked == ["S1"]
    slack.failure = None
    clock.advance(0.1)
    assert groups.ask("S1") == BILLING
    assert len(slack.asked) == 2


def test_during_a_remembered_failure_an_answer_under_thirty_minutes_old_stands_in(
    slack: Slack, clock: FakeClock
) -> None:
    groups = membership(slack, clock)
    groups.ask("S1")
    clock.advance(MEMBERSHIP_FRESH_SECONDS)
    slack.failure = TimeoutError()
    assert groups.ask("S1") == BILLING
    clock.advance(1)
    assert groups.ask("S1") == BILLING, "remembered failure: the old answer, without asking"
    assert len(slack.asked) == 2
    clock.advance(MEMBERSHIP_FALLBACK_SECONDS)
    assert groups.ask("S1") is None


def test_a_failure_of_one_group_does_not_stop_asking_about_another(slack: Slack, clock: FakeClock) -> None:
    groups = membership(slack, clock)
    slack.failure = ConnectionError()
    groups.ask("S1")
    slack.failure = None
    assert groups.ask("S2") == BILLING
    assert slack.asked == ["S1", "S2"]


def test_people_asking_while_slack_is_slow_share_its_one_call(slack: Slack, clock: FakeClock) -> None:
    groups = membership(slack, clock)
    slack.gate = threading.Event()
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(groups.ask, "S1")
        until(lambda: slack.asked == ["S1"], "the first asker is waiting for Slack")
        others = [pool.submit(groups.ask, "S1") for _ in range(3)]
        until(lambda: threads_waiting_in(SingleFlight.run.__code__) == 3, "the others wait for that call")
        slack.gate.set()
        assert [answer.result(10) for answer in [first, *others]] == [BILLING] * 4
    assert slack.asked == ["S1"]


def test_members_are_kept_in_the_store_sorted_with_when_they_were_fetched(
    slack: Slack, clock: FakeClock
) -> None:
    store = MemoryStore(clock)
    GroupMembership(slack, store, clock=clock).ask("S1")
    assert store.get("group:S1") == {"members": ["U1", "U2"], "fetched": clock()}
