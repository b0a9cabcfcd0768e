"""Bundled sample data that answers like WHMCS, so the bot can be tried without a WHMCS install.

The replies go through the same normaliser as live ones; only the transport differs.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from bot.settings import WhmcsSettings

DEMO_SETTINGS = WhmcsSettings(
    whmcs_url="https://billing.example.com",
    whmcs_identifier="demo-identifier",
    whmcs_secret="demo-secret",  # noqa: S106 - not a secret: the demo never calls anything
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
}


def demo_transport(action: str, fields: dict[str, str]) -> object:
    """Answers GetCredits for the demo clients exactly as a live WHMCS 8 would."""
    if action != "GetCredits":
        return {
            "result": "error",
            "message": f'Invalid Permissions: API action "{action.lower()}" is not allowed',
        }
    client_id = int(fields["clientid"])
    if client_id not in DEMO_CREDITS:
        return {"result": "error", "message": "Client ID Not Found"}
    entries = DEMO_CREDITS[client_id]
    return {
        "result": "success",
        "totalresults": len(entries),
        "clientid": client_id,
        "credits": {"credit": entries},
    }
