"""The picker's search as a person types: within Slack's 3 s for options, whatever WHMCS does.

Each typed text becomes at most one WHMCS call at a time (identical searches in flight share it), its
options are reused for a minute (in the shared store), and a search that WHMCS does not answer within
SEARCH_DEADLINE_SECONDS, or fails, gives one option that says so. A search left behind by its deadline runs
on, and its options are kept for the next keystroke that asks the same.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from bot.core.clients import ClientMatch
from bot.core.commands import ByEmail, ById, BySearch, ClientQuery
from bot.core.errors import ClientNotFound, WhmcsError, WhmcsUnavailable
from bot.core.picker import (
    FAILING,
    OPTIONS_SHOWN,
    REUSE_SECONDS,
    SEARCH_DEADLINE_SECONDS,
    SLOW,
    Option,
    client_options,
    id_option,
    notice_option,
    search_key,
)
from bot.core.ports import Store
from bot.telemetry.logs import event
from bot.whmcs.client import WhmcsClient

logger = logging.getLogger("credits.picker")

Admit = Callable[[], str | None]
"""Asked before a search reaches WHMCS: None to go ahead, else the sentence to show instead (the limit)."""


class ClientSearch:
    def __init__(
        self,
        whmcs: WhmcsClient,
        store: Store,
        threads: int,
        deadline: float = SEARCH_DEADLINE_SECONDS,
    ) -> None:
        self._whmcs = whmcs
        self._store = store
        self._deadline = deadline
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="picker")
        self._lock = threading.RLock()  # a search done before its callback is added lands in this thread
        self._in_flight: dict[str, Future[list[Option]]] = {}

    def options(self, query: ClientQuery, admit: Admit) -> list[Option]:
        """The options for what was typed; an id is offered as it is, without asking WHMCS."""
        if isinstance(query, ById):
            return id_option(query.client_id)
        key = search_key(query)
        cached = self._store.get(f"pick:{key}")
        if isinstance(cached, list) and cached:
            return cached
        with self._lock:
            flight = self._in_flight.get(key)
            if flight is None:
                refusal = admit()
                if refusal is not None:
                    return notice_option(refusal)
                flight = self._pool.submit(self._fetch, query)
                self._in_flight[key] = flight
                flight.add_done_callback(lambda done: self._landed(key, done))
        try:
            return flight.result(timeout=self._deadline)
        except FutureTimeout:
            event(logger, "picker_search_slow", logging.WARNING, deadline_s=self._deadline)
            return notice_option(SLOW)
        except WhmcsError as error:
            event(logger, "picker_search_failed", logging.WARNING, kind=type(error).__name__)
            timed_out = isinstance(error, WhmcsUnavailable) and error.timed_out
            return notice_option(SLOW if timed_out else FAILING)

    def _fetch(self, query: ClientQuery) -> list[Option]:
        if isinstance(query, ByEmail):
            try:
                found: ClientMatch = self._whmcs.get_client_by_email(query.email)
            except ClientNotFound:
                return client_options([], 0)
            return client_options([found], 1)
        assert isinstance(query, BySearch)
        matches, total = self._whmcs.search_clients(query.text, OPTIONS_SHOWN)
        return client_options(matches, total)

    def _landed(self, key: str, done: Future[list[Option]]) -> None:
        """The search is over: later keystrokes start a new one, or reuse these options for a minute."""
        with self._lock:
            self._in_flight.pop(key, None)
        if done.cancelled() or done.exception() is not None:
            return
        try:
            self._store.put(f"pick:{key}", done.result(), REUSE_SECONDS)
        except Exception as error:  # a store that fails only costs the reuse
            event(logger, "picker_cache_failed", logging.WARNING, kind=type(error).__name__)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
