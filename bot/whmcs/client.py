"""The WHMCS API client: one method per action the bot uses, over any Transport, with identical calls in
flight coalesced and every call observed (metrics).

What a reply means is decided by the pure functions in `bot.core.whmcs_replies`; how it travels, by
`bot.whmcs.transport`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from bot.core.clients import ClientDetails, ClientMatch, Currency, client_details, client_matches, currencies
from bot.core.credits import CreditLog
from bot.core.errors import WhmcsError
from bot.core.ports import Flights
from bot.core.whmcs_replies import check_result, credit_log
from bot.state.single_flight import SingleFlight
from bot.whmcs.transport import Transport

logger = logging.getLogger(__name__)

Result = TypeVar("Result")


def flags(**wanted: bool) -> dict[str, str]:
    """WHMCS reads a flag with PHP's truthiness: any value but "" and "0" is true, "false" included.
    So a flag goes as "1" (what PHP's http_build_query sends for true) when meant, else not at all."""
    return {name: "1" for name, on in wanted.items() if on}


WhmcsObserver = Callable[[str, float, WhmcsError | None], None]
"""Told of every action: its name, how many seconds it took, and the WHMCS error it ended in (or None)."""


class WhmcsClient:
    """The WHMCS actions the bot uses, over any transport (HTTP, or the bundled demo data).

    Identical calls in flight at the same moment (same action and fields) share one request to WHMCS.
    """

    def __init__(
        self, transport: Transport, observe: WhmcsObserver | None = None, flights: Flights | None = None
    ) -> None:
        self._transport = transport
        self._observe = observe
        self._flights: Flights = flights if flights is not None else SingleFlight()

    def _send(self, action: str, fields: dict[str, str]) -> object:
        key = (action, tuple(sorted(fields.items())))
        return self._flights.run(key, lambda: self._transport(action, fields))

    def call(self, action: str, client_ref: str, **fields: str) -> dict[str, Any]:
        return self._observed(action, lambda: check_result(self._send(action, fields), action, client_ref))

    def get_credits(self, client_id: int) -> CreditLog:
        return self._observed(
            "GetCredits",
            lambda: credit_log(self._send("GetCredits", {"clientid": str(client_id)}), client_id),
        )

    def get_client(self, client_id: int, *, stats: bool = False) -> ClientDetails:
        """`stats` makes WHMCS compute a dozen aggregate queries; asked for only when it is wanted."""
        body = self.call("GetClientsDetails", str(client_id), clientid=str(client_id), **flags(stats=stats))
        return client_details(body, fallback_id=client_id)

    def get_client_by_email(self, email: str, *, stats: bool = False) -> ClientDetails:
        return client_details(self.call("GetClientsDetails", email, email=email, **flags(stats=stats)))

    def search_clients(self, text: str, limit: int) -> tuple[list[ClientMatch], int]:
        """Clients whose email, first or last name, company or "first last" start with `text`."""
        return client_matches(self.call("GetClients", text, search=text, limitnum=str(limit)))

    def get_currencies(self) -> dict[int, Currency]:
        return currencies(self.call("GetCurrencies", "currencies"))

    def _observed(self, action: str, work: Callable[[], Result]) -> Result:
        started = time.monotonic()
        try:
            result = work()
        except WhmcsError as error:
            if self._observe is not None:
                self._observe(action, time.monotonic() - started, error)
            raise
        if self._observe is not None:
            self._observe(action, time.monotonic() - started, None)
        return result
