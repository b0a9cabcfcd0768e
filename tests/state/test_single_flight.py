"""Identical calls in flight share one call: the generic SingleFlight, then WhmcsClient over loopback HTTP."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.core.credits import CreditLog
from bot.core.errors import ClientNotFound, WhmcsUnavailable
from bot.settings import WhmcsSettings
from bot.state.single_flight import SingleFlight
from bot.whmcs.client import WhmcsClient
from bot.whmcs.transport import HttpTransport
from tests.fakes.slack import FakeSlack
from tests.fakes.whmcs import FakeWhmcs, Reply, entry
from tests.slack_harness import ALICE, running_bot
from tests.slack_harness import Reply as SlackReply
from tests.waiting import threads_waiting_in, until


def followers() -> int:
    """Callers waiting for another caller's flight (blocked in SingleFlight.run, not in their own call)."""
    return threads_waiting_in(SingleFlight.run.__code__)


def while_whmcs_holds(
    whmcs: FakeWhmcs, followers_expected: int, work: Callable[[], list[object]]
) -> list[object]:
    """Run `work` while WHMCS answers nobody, until `followers_expected` callers wait on another's flight."""
    whmcs.hold()
    results: list[object] = []
    worker = threading.Thread(target=lambda: results.extend(work()))
    worker.start()
    until(lambda: followers() == followers_expected, "callers wait on the call in flight")
    whmcs.release()
    worker.join(10)
    return results


def run_together(count: int, call: Callable[[int], object]) -> list[object]:
    """Call `call(0)` … `call(count - 1)` on `count` threads released at the same instant; each gives its
    result or its exception.
    """
    start = threading.Barrier(count)

    def one(number: int) -> object:
        start.wait()
        try:
            return call(number)
        except Exception as error:
            return error

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def test_concurrent_callers_with_one_key_share_one_call() -> None:
    flights: SingleFlight[str, list[int]] = SingleFlight()
    calls = 0
    release = threading.Event()

    def slow() -> list[int]:
        nonlocal calls
        calls += 1
        release.wait(5)
        return [calls]

    waiters = threading.Thread(target=lambda: run_together(8, lambda _: flights.run("k", slow)))
    waiters.start()
    until(lambda: followers() == 7, "the other seven callers wait for the first one's call")
    release.set()
    waiters.join(5)
    assert calls == 1
    assert flights.in_flight() == 0


def test_every_waiter_gets_the_same_result_object() -> None:
    flights: SingleFlight[str, dict[str, int]] = SingleFlight()

    def slow() -> dict[str, int]:
        until(lambda: followers() == 5, "the other five callers wait for this call")
        return {"answer": 42}

    results = run_together(6, lambda _: flights.run("k", slow))
    assert all(result is results[0] for result in results)


def test_an_exception_reaches_every_waiter() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    calls = 0

    def failing() -> int:
        nonlocal calls
        calls += 1
        until(lambda: followers() == 4, "the other four callers wait for this call")
        raise ValueError("boom")

    results = run_together(5, lambda _: flights.run("k", failing))
    assert calls == 1
    assert all(isinstance(result, ValueError) for result in results)
    assert flights.in_flight() == 0


def test_different_keys_run_side_by_side() -> None:
    flights: SingleFlight[int, int] = SingleFlight()
    all_running = threading.Barrier(4, timeout=5)

    def slow(number: int) -> int:
        all_running.wait()  # breaks, and the result is an error, unless the four calls run at the same time
        return number

    results = run_together(4, lambda n: flights.run(n, lambda: slow(n)))
    assert results == [0, 1, 2, 3]


def test_nothing_is_remembered_after_a_call_finishes() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    counter = iter(range(10))
    assert flights.run("k", lambda: next(counter)) == 0
    assert flights.run("k", lambda: next(counter)) == 1

    def failing() -> int:
        raise KeyError("missing")

    with pytest.raises(KeyError):
        flights.run("k", failing)
    assert flights.run("k", lambda: next(counter)) == 2


def test_simultaneous_lookups_of_one_client_make_one_whmcs_call(
    whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings
) -> None:
    whmcs.set_credits(42, [entry(1, "2024-01-01", "Top-up", "12.50")])
    client = WhmcsClient(HttpTransport(whmcs_settings))
    logs = while_whmcs_holds(whmcs, 9, lambda: run_together(10, lambda _: client.get_credits(42)))
    assert len(whmcs.actions("GetCredits")) == 1
    assert all(log == logs[0] for log in logs)
    client.get_credits(42)
    assert len(whmcs.actions("GetCredits")) == 2, "the answer is not cached once the call is over"


def test_lookups_of_different_clients_are_not_merged(whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings) -> None:
    whmcs.set_credits(1, [])
    whmcs.set_credits(2, [])
    client = WhmcsClient(HttpTransport(whmcs_settings))
    logs = while_whmcs_holds(whmcs, 2, lambda: run_together(4, lambda n: client.get_credits(1 + n % 2)))
    assert [log.client_id for log in logs if isinstance(log, CreditLog)] == [1, 2, 1, 2]
    assert sorted(call["clientid"] for call in whmcs.actions("GetCredits")) == ["1", "2"]


def test_a_shared_failure_is_one_whmcs_call_and_an_error_for_everyone(
    whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings
) -> None:
    client = WhmcsClient(HttpTransport(whmcs_settings))
    results = while_whmcs_holds(whmcs, 5, lambda: run_together(6, lambda _: client.get_credits(404)))
    assert len(whmcs.calls) == 1
    assert all(isinstance(result, ClientNotFound) for result in results)


def test_a_timeout_is_shared_rather_than_multiplied(whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings) -> None:
    whmcs.queue(Reply({"result": "success"}, delay=1.5))
    client = WhmcsClient(HttpTransport(whmcs_settings.model_copy(update={"whmcs_timeout": 1})))
    results = run_together(5, lambda _: client.get_credits(7))
    assert len(whmcs.calls) == 1
    assert all(isinstance(result, WhmcsUnavailable) and result.timed_out for result in results)


def test_two_people_asking_for_one_client_at_once_in_slack_cause_one_call(
    slack: FakeSlack, whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings
) -> None:
    whmcs.set_credits(42, [entry(1, "2024-01-01", "Top-up", "12.50")])
    whmcs.latency = 0.5
    people = [ALICE, "U0CAROL"]
    with running_bot(slack, whmcs_settings, credits_allowed_users=people) as bot:
        replies = run_together(2, lambda n: bot.command("42", user=people[n]))
        answers = [bot.answer(reply) for reply in replies if isinstance(reply, SlackReply)]
    assert [answer["text"].partition(":")[0] for answer in answers] == ["Credits of client #42"] * 2
    assert len(whmcs.actions("GetCredits")) == 1
