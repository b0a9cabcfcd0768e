"""Turning a request into what the answer shows: resolve the client, fetch its log and details at once.

This is the edge that sequences WHMCS calls; every decision about what the replies mean stays in the pure
modules. The listeners (slash command and buttons) and the CLI all come through here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, wait
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import asdict, dataclass

from bot.core.clients import ClientDetails, ClientMatch, Currency, currency_for
from bot.core.commands import SEARCH_LIMIT, ByEmail, ById, BySearch, ClientQuery
from bot.core.credits import NO_FILTERS, Filters
from bot.core.errors import ClientNotFound, WhmcsError, WhmcsPermissionError
from bot.core.ports import Store
from bot.core.views import CreditView
from bot.state.memory import MemoryStore
from bot.telemetry.logs import event
from bot.whmcs.client import WhmcsClient
from bot.whmcs.transport import longest_call

logger = logging.getLogger(__name__)

WARM_UP_WAIT_SECONDS = 5.0
"""How long a starting process waits for its first WHMCS answer before it serves: a healthy WHMCS answers
well within it, and Heroku's boot timeout (60 s) is far away."""
CURRENCIES_TTL_SECONDS = 3600.0


@dataclass(frozen=True)
class Choices:
    """A search matched several clients (or none): the person picks one."""

    query: str
    matches: list[ClientMatch]
    total: int


class CurrencyCache:
    """GetCurrencies rarely changes: asked at most once an hour (per Redis, or per process).

    A failure is not kept, so the next lookup asks again. Lookups of this process that miss the cache at
    the same moment share one fetch (and its failure); across processes, WhmcsClient coalesces the calls.
    """

    def __init__(self, fetch: Callable[[], dict[int, Currency]], store: Store | None = None) -> None:
        self._fetch = fetch
        self._store: Store = store if store is not None else MemoryStore()
        self._lock = threading.Lock()
        self._fetching: Future[dict[int, Currency]] | None = None

    def cached(self) -> dict[int, Currency] | None:
        cached = self._store.get("currencies")
        if isinstance(cached, list):
            return {int(item["id"]): Currency(**item) for item in cached}
        return None

    def start(self, executor: Executor) -> Future[dict[int, Currency]]:
        """The currencies, at once from the cache, or fetched on `executor` while the lookup's other calls
        run: after a start the cache is cold, and asking only once the client's details are known would
        make the first answer wait for two WHMCS round trips instead of one."""
        cached = self.cached()
        if cached is not None:
            known: Future[dict[int, Currency]] = Future()
            known.set_result(cached)
            return known
        with self._lock:
            if self._fetching is None or self._fetching.done():
                self._fetching = executor.submit(self._fetch_and_keep)
            return self._fetching

    def _fetch_and_keep(self) -> dict[int, Currency]:
        fresh = self._fetch()
        kept = [asdict(currency) for currency in fresh.values()]
        self._store.put("currencies", kept, CURRENCIES_TTL_SECONDS)
        return fresh


def missing_permission_note(error: WhmcsPermissionError, what: str) -> str:
    return (
        f"The bot's WHMCS API role does not allow `{error.action}`, so {what}; "
        "a WHMCS administrator can add it to the role."
    )


def details_wait(whmcs_timeout: float) -> float:
    """How long a lookup waits for its GetClientsDetails once its log is in: the longest a WHMCS call can
    take (waiting for a slot, then its deadline), and a second for the side-call thread to start. The
    transport ends the call by then; this bound holds even if it did not."""
    return longest_call(whmcs_timeout) + 1


class Lookups:
    def __init__(
        self,
        whmcs: WhmcsClient,
        side_calls: Executor,
        store: Store | None = None,
        *,
        whmcs_timeout: float = 10.0,
    ) -> None:
        self.whmcs = whmcs
        self._side_calls = side_calls
        self._details_wait = details_wait(whmcs_timeout)
        self._currencies = CurrencyCache(whmcs.get_currencies, store)

    def warm_up(self) -> None:
        """Ask WHMCS for the currencies as the process starts, ahead of its first lookup, and wait up to
        WARM_UP_WAIT_SECONDS for the answer before it takes requests (they wait in the listen backlog).

        That call is also the one that proves the credentials (`CredentialsBreaker` lets a single call try
        credentials nobody has seen accepted): done before anyone asks, the first lookup then sends its
        calls together and takes one WHMCS round trip. A slower WHMCS is not waited for longer: the call
        goes on in the background and lookups that come meanwhile wait for it. From the cache (Redis) it
        asks nothing; a failure is logged and left to the first lookup, which asks again.
        """

        def settled(fetched: Future[dict[int, Currency]]) -> None:
            error = fetched.exception()
            if error is not None:
                kind = error.label if isinstance(error, WhmcsError) else type(error).__name__
                event(logger, "whmcs_warm_up_failed", logging.WARNING, kind=kind)

        fetching = self._currencies.start(self._side_calls)
        fetching.add_done_callback(settled)
        wait([fetching], timeout=WARM_UP_WAIT_SECONDS)

    def resolve(self, query: ClientQuery) -> int | ClientDetails | Choices:
        """The client a query names: an id, the details found by email, or the choices of a search."""
        if isinstance(query, ById):
            return query.client_id
        if isinstance(query, ByEmail):
            return self.whmcs.get_client_by_email(query.email, stats=True)
        assert isinstance(query, BySearch)
        matches, total = self.whmcs.search_clients(query.text, SEARCH_LIMIT)
        if len(matches) == 1 and total == 1:
            return matches[0].id
        return Choices(query.text, matches, total)

    def credit_view(
        self, client: int | ClientDetails, filters: Filters = NO_FILTERS, offset: int = 0
    ) -> CreditView:
        """GetCredits, GetClientsDetails and (when not cached) GetCurrencies at the same time, so an answer
        takes one WHMCS round trip; missing details only add a note."""
        details: ClientDetails | None = None
        currencies = self._currencies.start(self._side_calls)
        details_call: Future[ClientDetails] | None = None
        if isinstance(client, int):
            client_id = client
            details_call = self._side_calls.submit(self.whmcs.get_client, client_id, stats=True)
        else:
            client_id, details = client.id, client
        log = self.whmcs.get_credits(client_id)
        notes: list[str] = []
        if details_call is not None:
            try:
                details = details_call.result(timeout=self._details_wait)
            except FutureTimeout:
                details_call.cancel()
                event(logger, "client_details_failed", logging.WARNING, client=client_id, kind="timeout")
                notes.append("The client's name and balance could not be loaded from WHMCS just now.")
            except WhmcsPermissionError as error:
                notes.append(missing_permission_note(error, "the client's name and balance are not shown"))
            except ClientNotFound:
                pass  # the log came back, so only who the client is stays unshown
            except WhmcsError as error:
                event(
                    logger,
                    "client_details_failed",
                    logging.WARNING,
                    client=client_id,
                    kind=type(error).__name__,
                )
                notes.append("The client's name and balance could not be loaded from WHMCS just now.")
        currency = currency_for(details, self._known_currencies(currencies, details, notes))
        return CreditView(
            log=log, filters=filters, offset=offset, details=details, currency=currency, notes=tuple(notes)
        )

    def _known_currencies(
        self, currencies: Future[dict[int, Currency]], details: ClientDetails | None, notes: list[str]
    ) -> dict[int, Currency] | None:
        if details is None or details.currency_id is None:
            return None
        try:
            return currencies.result()
        except WhmcsPermissionError as error:
            notes.append(missing_permission_note(error, "amounts use the currency code without its format"))
        except WhmcsError:
            notes.append("The currency's format could not be loaded; amounts use the currency code.")
        return None
