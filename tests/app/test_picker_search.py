"""The picker's search in-process: the demo data behind a transport the test holds and releases, a memory
store on a fake clock. What Slack shows of it end to end is in tests/app/listeners/views/test_picker.py."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from bot.app.picker_search import ClientSearch
from bot.core.commands import ByEmail, ById, BySearch
from bot.core.errors import WhmcsUnavailable
from bot.core.picker import FAILING, NO_CLIENT, NOTHING, REUSE_SECONDS, SLOW, search_key
from bot.state.memory import MemoryStore
from bot.whmcs.client import WhmcsClient
from bot.whmcs.demo import demo_transport
from tests.fakes.clock import FakeClock
from tests.waiting import until


class HeldWhmcs:
    """The demo WHMCS, whose calls wait while `held` is clear and fail with `failure` when it is set."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.held = threading.Event()
        self.held.set()
        self.failure: Exception | None = None

    def __call__(self, action: str, fields: dict[str, str]) -> object:
        self.calls.append((action, fields))
        assert self.held.wait(10)
        if self.failure is not None:
            raise self.failure
        return demo_transport(action, fields)


def go_ahead() -> str | None:
    return None


def texts(options: list[dict[str, Any]]) -> list[str]:
    return [option["text"]["text"] for option in options]


@pytest.fixture
def whmcs() -> HeldWhmcs:
    return HeldWhmcs()


@pytest.fixture
def store(clock: FakeClock) -> MemoryStore:
    return MemoryStore(clock)


@pytest.fixture
def search(whmcs: HeldWhmcs, store: MemoryStore) -> Iterator[ClientSearch]:
    searching = ClientSearch(WhmcsClient(whmcs), store, threads=2, deadline=0.05)
    yield searching
    whmcs.held.set()
    searching.close()


def test_an_id_is_offered_as_typed_without_asking_whmcs_or_the_limit(
    search: ClientSearch, whmcs: HeldWhmcs
) -> None:
    def refuse() -> str:
        raise AssertionError("an id needs no admission")

    assert search.options(ById(42), refuse) == [
        {"text": {"type": "plain_text", "text": "Client #42"}, "value": "42"}
    ]
    assert whmcs.calls == []


def test_options_are_reused_for_a_minute(search: ClientSearch, whmcs: HeldWhmcs, clock: FakeClock) -> None:
    first = search.options(BySearch("acme"), go_ahead)
    assert [option["value"] for option in first] == ["1", "4"]
    clock.advance(REUSE_SECONDS - 1)
    assert search.options(BySearch("acme"), go_ahead) == first
    assert len(whmcs.calls) == 1
    clock.advance(1)
    search.options(BySearch("acme"), go_ahead)
    assert len(whmcs.calls) == 2


def test_an_over_the_limit_search_shows_the_limit_and_asks_nobody(
    search: ClientSearch, whmcs: HeldWhmcs
) -> None:
    assert texts(search.options(BySearch("acme"), lambda: "Too many lookups")) == ["Too many lookups"]
    assert whmcs.calls == []


def test_a_slow_search_says_so_and_its_options_serve_the_next_keystroke(
    search: ClientSearch, whmcs: HeldWhmcs, store: MemoryStore, caplog: pytest.LogCaptureFixture
) -> None:
    whmcs.held.clear()
    with caplog.at_level(logging.WARNING):
        slow = search.options(BySearch("jane"), go_ahead)
        again = search.options(BySearch("jane"), lambda: "the limit is not asked while a search runs")
    assert texts(slow) == texts(again) == [SLOW]
    assert slow[0]["value"] == NO_CLIENT
    assert len(whmcs.calls) == 1, "the second keystroke waits for the same call"
    assert [r.getMessage() for r in caplog.records].count("picker_search_slow") == 2
    whmcs.held.set()
    until(lambda: store.get(f"pick:{search_key(BySearch('jane'))}") is not None, "the late search lands")
    assert [o["value"] for o in search.options(BySearch("jane"), go_ahead)] == ["1"]
    assert len(whmcs.calls) == 1


def test_a_failing_whmcs_gives_one_option_saying_so(search: ClientSearch, whmcs: HeldWhmcs) -> None:
    whmcs.failure = WhmcsUnavailable("connection refused", cause="refused")
    assert texts(search.options(BySearch("acme"), go_ahead)) == [FAILING]
    whmcs.failure = WhmcsUnavailable("no complete answer within 10 s", cause="timeout")
    assert texts(search.options(BySearch("max"), go_ahead)) == [SLOW]
    whmcs.failure = None
    assert texts(search.options(BySearch("acme"), go_ahead)) != [FAILING], "a failure is not reused"


def test_an_email_nobody_has_says_nothing_matches(search: ClientSearch) -> None:
    assert texts(search.options(ByEmail("nobody@example.com"), go_ahead)) == [NOTHING]
    assert texts(search.options(ByEmail("ada@example.org"), go_ahead)) == ["Ada Lovelace · #3"]


def test_a_store_that_fails_costs_only_the_reuse(whmcs: HeldWhmcs, caplog: pytest.LogCaptureFixture) -> None:
    class FullStore(MemoryStore):
        def put(self, key: str, value: Any, ttl: float) -> None:
            raise OSError("store full")

    searching = ClientSearch(WhmcsClient(whmcs), FullStore(), threads=1)
    with caplog.at_level(logging.WARNING):
        assert [o["value"] for o in searching.options(BySearch("acme"), go_ahead)] == ["1", "4"]
        searching.close()
    assert "picker_cache_failed" in [r.getMessage() for r in caplog.records]
