"""Bundled sample data that answers like WHMCS, so the bot can be tried without a WHMCS install.

The replies go through the same normaliser as live ones; only the transport differs.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from pydantic import SecretStr

from bot.settings import WhmcsSettings

# model_construct, not the constructor: a BaseSettings built normally reads the environment and .env, so a bad
# WHMCS_TIMEOUT would fail every import of this module, and demo mode would pick up the real WHMCS_ADMIN_PATH.
DEMO_SETTINGS = WhmcsSettings.model_construct(
    whmcs_url="https://billing.example.com",
    whmcs_identifier=SecretStr("demo-identifier"),
    whmcs_secret=SecretStr("demo-secret"),
)

_DESCRIPTIONS = (
    "Prepaid credit top-up",
    "Overpayment of Invoice #{invoice}",
    "Credit Applied to Invoice #{invoice}",
    "Refund &amp; goodwill for outage",
    "Service credit: SLA breach",
    "Credit Removed from Invoice #{invoice}",
)


def _documentation_example() -> list[dict[str, object]]:
    return [
        {
            "id": 1,
            "date": "2016-01-01",
            "description": "This is a sample credit record",
            "amount": "10.00",
            "relid": 0,
        },
        {
            "id": 2,
            "date": "2016-01-01",
            "description": "Credit Applied to Invoice #1",
            "amount": "-10.00",
            "relid": 0,
        },
    ]


def _long_history(count: int) -> list[dict[str, object]]:
    """A deterministic, realistic-looking history: top-ups, invoice payments, the odd refund."""
    rng = random.Random(2)  # noqa: S311 - sample data, not security
    day = date(2019, 1, 7)
    entries: list[dict[str, object]] = []
    for entry_id in range(100, 100 + count):
        day += timedelta(days=rng.randint(0, 6))
        template = rng.choice(_DESCRIPTIONS)
        invoice = 5000 + entry_id
        cents = rng.randint(100, 25_000)
        sign = -1 if "Applied" in template or "Removed" in template else 1
        entries.append(
            {
                "id": entry_id,
                "date": day.isoformat(),
                "description": template.format(invoice=invoice),
                "amount": f"{'-' if sign < 0 else ''}{cents // 100}.{cents % 100:02d}",
                "relid": invoice if "Overpayment" in template or "Removed" in template else 0,
            }
        )
    return entries


DEMO_CREDITS: dict[int, list[dict[str, object]]] = {
    1: _documentation_example(),
    2: _long_history(640),
    3: [],
    4: [
        {"id": 900, "date": "2024-05-02", "description": "Goodwill credit", "amount": "5.00", "relid": 0},
    ],
}

DEMO_CURRENCIES: list[dict[str, object]] = [
    {"id": 1, "code": "USD", "prefix": "$", "suffix": " USD", "format": 2, "rate": "1.00000"},
    {"id": 2, "code": "EUR", "prefix": "€", "suffix": " EUR", "format": 3, "rate": "0.92000"},
    {"id": 3, "code": "GBP", "prefix": "£", "suffix": " GBP", "format": 2, "rate": "0.79000"},
]

DEMO_CLIENTS: dict[int, dict[str, object]] = {
    1: {
        "firstname": "Jane",
        "lastname": "Doe",
        "companyname": "Acme Ltd",
        "email": "jane@example.com",
        "status": "Active",
        "credit": "0.00",
        "currency": 1,
        "currency_code": "USD",
    },
    2: {
        "firstname": "Max",
        "lastname": "Mustermann",
        "companyname": "Beispiel GmbH",
        "email": "max@example.de",
        "status": "Active",
        "credit": "30376.89",
        "currency": 2,
        "currency_code": "EUR",
    },
    3: {
        "firstname": "Ada",
        "lastname": "Lovelace",
        "companyname": "",
        "email": "ada@example.org",
        "status": "Inactive",
        "credit": "0.00",
        "currency": 3,
        "currency_code": "GBP",
    },
    4: {
        "firstname": "John",
        "lastname": "Smith",
        "companyname": "Acme Hosting",
        "email": "john@acme.example",
        "status": "Active",
        "credit": "5.00",
        "currency": 1,
        "currency_code": "USD",
    },
}


def _error(message: str) -> dict[str, object]:
    return {"result": "error", "message": message}


def _matches(text: str) -> list[int]:
    """WHMCS's search: the start of the email, first name, last name, company or "first last"."""
    needle = text.lower()
    found = []
    for client_id, client in DEMO_CLIENTS.items():
        names = [str(client[key]) for key in ("email", "firstname", "lastname", "companyname")]
        names.append(f"{client['firstname']} {client['lastname']}")
        if any(name.lower().startswith(needle) for name in names if name):
            found.append(client_id)
    return found


def _demo_invoices(due: int, due_balance: str, overdue: int, overdue_balance: str) -> dict[str, str]:
    return {
        "numdueinvoices": str(due),
        "dueinvoicesbalance": due_balance,
        "numoverdueinvoices": str(overdue),
        "overdueinvoicesbalance": overdue_balance,
    }


DEMO_INVOICES = {
    1: _demo_invoices(3, "$120.00 USD", 1, "$40.00 USD"),
    2: _demo_invoices(1, "€15,00 EUR", 0, "€0,00 EUR"),
    3: _demo_invoices(0, "£0.00 GBP", 0, "£0.00 GBP"),
    4: _demo_invoices(0, "$0.00 USD", 0, "$0.00 USD"),
}
"""GetClientsDetails `stats` (its invoice fields), written as WHMCS writes them: in the client's currency."""


def demo_transport(action: str, fields: dict[str, str]) -> object:
    """Answers like a live WHMCS 8 for the demo clients (GetCredits, GetClientsDetails, GetClients,
    GetCurrencies). Client 2's balance differs from its log on purpose, to show the warning.
    """
    if action == "GetCurrencies":
        return {
            "result": "success",
            "totalresults": len(DEMO_CURRENCIES),
            "currencies": {"currency": DEMO_CURRENCIES},
        }
    if action == "GetClients":
        found = _matches(fields.get("search", ""))
        if not found:
            return {"result": "success", "totalresults": 0, "startnumber": 0, "numreturned": 0}
        clients = [
            {
                "id": client_id,
                "datecreated": "2020-01-01",
                "groupid": 0,
                **{
                    key: DEMO_CLIENTS[client_id][key]
                    for key in ("firstname", "lastname", "companyname", "email", "status")
                },
            }
            for client_id in found
        ]
        return {
            "result": "success",
            "totalresults": len(clients),
            "startnumber": 0,
            "numreturned": len(clients),
            "clients": {"client": clients},
        }
    if action == "GetClientsDetails":
        if "email" in fields:
            by_email = [cid for cid, client in DEMO_CLIENTS.items() if client["email"] == fields["email"]]
            client_id = by_email[0] if by_email else 0
        else:
            client_id = int(fields.get("clientid", "0"))
        if client_id not in DEMO_CLIENTS:
            return _error("Client Not Found")
        client = {"id": client_id, "userid": client_id, **DEMO_CLIENTS[client_id]}
        reply: dict[str, object] = {"result": "success", "userid": client_id, **client, "client": client}
        if fields.get("stats"):
            reply["stats"] = DEMO_INVOICES[client_id]
        return reply
    if action == "GetCredits":
        client_id = int(fields["clientid"])
        if client_id not in DEMO_CREDITS:
            return _error("Client ID Not Found")
        entries = DEMO_CREDITS[client_id]
        return {
            "result": "success",
            "totalresults": len(entries),
            "clientid": client_id,
            "credits": {"credit": entries},
        }
    return _error(f'Invalid Permissions: API action "{action.lower()}" is not allowed')
