"""Pure models of who a client is and how their money is written, parsed from WHMCS replies.

GetClientsDetails repeats the client's fields at the top level and under `client` (with `stats=1`, the
client's statistics under `stats`, amounts already written in the client's currency); GetClients lists
matches under `clients.client` (the key is missing or "" when nothing matches); GetCurrencies lists
`currencies.currency`. Ids may be integers or strings; text is stored HTML-escaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from bot.core.errors import WhmcsUnexpectedReply
from bot.core.whmcs_replies import as_decimal, as_int, as_objects, as_text, optional, readable

_SEPARATORS = {1: ("", "."), 2: (",", "."), 3: (".", ","), 4: (",", "")}


@dataclass(frozen=True, slots=True)
class Currency:
    """WHMCS's currency settings: `format` 1 = 1234.56, 2 = 1,234.56, 3 = 1.234,56, 4 = 1,234."""

    id: int = 0
    code: str = ""
    prefix: str = ""
    suffix: str = ""
    format: int = 1

    def money(self, amount: Decimal, *, signed: bool = False) -> str:
        """As WHMCS's formatCurrency writes it, the minus after the prefix: `$-10.00 USD`, `€-10,00 EUR`.

        `signed` adds `+` to positive amounts, before the prefix (`+$10.00 USD`): WHMCS shows no plus sign,
        and one placed where a minus would stand read as part of the number in the admin area's columns."""
        thousands, decimal_mark = _SEPARATORS.get(self.format, _SEPARATORS[1])
        places = Decimal("1") if self.format == 4 else Decimal("0.01")
        rounded = amount.quantize(places, rounding=ROUND_HALF_UP)
        whole, _, fraction = f"{abs(rounded):f}".partition(".")
        grouped = f"{int(whole):,}".replace(",", thousands)
        number = f"{grouped}{decimal_mark}{fraction}" if fraction else grouped
        minus = "-" if rounded < 0 else ""
        plus = "+" if signed and rounded > 0 else ""
        return f"{plus}{self.prefix}{minus}{number}{self.suffix}"


PLAIN = Currency()


@dataclass(frozen=True, slots=True)
class ClientMatch:
    """A client as a GetClients search lists them."""

    id: int
    firstname: str
    lastname: str
    companyname: str
    email: str
    status: str

    @property
    def person(self) -> str:
        return " ".join(part for part in (self.firstname, self.lastname) if part)

    @property
    def name(self) -> str:
        return self.person or self.email


MAX_STATS_TEXT = 40
"""A balance WHMCS wrote (`$2,645.80 USD`) is kept only up to this length: it is shown, never computed on."""


@dataclass(frozen=True, slots=True)
class InvoiceStats:
    """The client's unpaid ("due") and overdue invoices, as GetClientsDetails `stats` counts them.

    WHMCS writes the balances itself, in the client's currency (`$2645.80 USD`): they are text to show,
    not amounts, so they are not parsed into Decimal and never added up here.
    """

    due: int
    due_balance: str
    overdue: int
    overdue_balance: str

    def summary(self) -> str:
        """`Unpaid: 3 invoices, $120.00 USD · Overdue: 1, $40.00 USD`; `Unpaid: none` when nothing is due."""
        if self.due == 0:
            return "Unpaid invoices: none"
        plural = "invoice" if self.due == 1 else "invoices"
        line = f"Unpaid: {self.due:,} {plural}, {self.due_balance}"
        if self.overdue:
            return f"{line} · Overdue: {self.overdue:,}, {self.overdue_balance}"
        return f"{line} · none overdue"


def invoice_stats(stats: object) -> InvoiceStats | None:
    """The invoice counts of GetClientsDetails `stats`; None when they are absent or cannot be read, so
    that an answer says nothing about invoices rather than something wrong ("0")."""
    if not isinstance(stats, dict):
        return None
    due = readable(as_int, stats.get("numdueinvoices"))
    overdue = readable(as_int, stats.get("numoverdueinvoices"))
    texts = [stats.get("dueinvoicesbalance"), stats.get("overdueinvoicesbalance")]
    if due is None or overdue is None or due < 0 or overdue < 0:
        return None
    if not all(isinstance(text, str) and 0 < len(text.strip()) <= MAX_STATS_TEXT for text in texts):
        return None
    due_balance, overdue_balance = (as_text(text).strip() for text in texts)
    return InvoiceStats(due, due_balance, overdue, overdue_balance)


@dataclass(frozen=True, slots=True)
class ClientDetails(ClientMatch):
    """A client as GetClientsDetails describes them: a match plus their balance and currency, and their
    invoice statistics when they were asked for and came back."""

    credit: Decimal | None
    currency_id: int | None
    currency_code: str
    invoices: InvoiceStats | None = None

    @property
    def name(self) -> str:
        """`Jane Doe (Acme Ltd)`, or whichever parts exist."""
        if self.person and self.companyname:
            return f"{self.person} ({self.companyname})"
        return self.person or self.companyname or self.email or f"Client #{self.id}"


def client_details(body: dict[str, Any], fallback_id: int | None = None) -> ClientDetails:
    nested = body.get("client")
    fields: dict[str, Any] = nested if isinstance(nested, dict) else body
    raw_id = next(
        (fields.get(key) for key in ("id", "userid", "client_id") if fields.get(key) not in (None, "")),
        body.get("userid", fallback_id),
    )
    if raw_id is None:
        raise WhmcsUnexpectedReply("GetClientsDetails answered without a client id")
    currency = fields.get("currency", body.get("currency"))
    return ClientDetails(
        id=as_int(raw_id, "client id"),
        firstname=as_text(fields.get("firstname")),
        lastname=as_text(fields.get("lastname")),
        companyname=as_text(fields.get("companyname")),
        email=as_text(fields.get("email")),
        status=as_text(fields.get("status")),
        credit=optional(fields.get("credit", body.get("credit")), as_decimal, "credit balance"),
        currency_id=optional(currency, as_int, "currency"),
        currency_code=as_text(fields.get("currency_code", body.get("currency_code"))),
        invoices=invoice_stats(body.get("stats")),
    )


def client_matches(body: dict[str, Any]) -> tuple[list[ClientMatch], int]:
    """The matches of a GetClients search and how many there are in all (WHMCS returns at most limitnum)."""
    matches = []
    for position, raw in as_objects(body.get("clients"), "client", "client match"):
        matches.append(
            ClientMatch(
                id=as_int(raw.get("id"), f"client match {position} id"),
                firstname=as_text(raw.get("firstname")),
                lastname=as_text(raw.get("lastname")),
                companyname=as_text(raw.get("companyname")),
                email=as_text(raw.get("email")),
                status=as_text(raw.get("status")),
            )
        )
    total = optional(body.get("totalresults"), as_int, "totalresults") or 0
    return matches, max(len(matches), total)


def currencies(body: dict[str, Any]) -> dict[int, Currency]:
    found: dict[int, Currency] = {}
    for position, raw in as_objects(body.get("currencies"), "currency", "currency"):
        currency_id = as_int(raw.get("id"), f"currency {position} id")
        number_format = optional(raw.get("format"), as_int, "currency format")
        found[currency_id] = Currency(
            id=currency_id,
            code=as_text(raw.get("code")),
            prefix=as_text(raw.get("prefix")),
            suffix=as_text(raw.get("suffix")),
            format=1 if number_format is None else number_format,
        )
    return found


def currency_for(details: ClientDetails | None, known: dict[int, Currency] | None) -> Currency:
    """The client's currency from GetCurrencies; failing that its code alone; failing that plain numbers."""
    if details is None:
        return PLAIN
    if known and details.currency_id in known:
        return known[details.currency_id]
    if details.currency_code:
        return Currency(code=details.currency_code, suffix=f" {details.currency_code}", format=1)
    return PLAIN
