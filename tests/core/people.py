"""The client the core's unit tests describe, in one place, so each test names only what it varies."""

from __future__ import annotations

from decimal import Decimal

from bot.core.clients import ClientDetails


def jane_doe(credit: str | None, currency_id: int = 1, currency_code: str = "USD") -> ClientDetails:
    """Client #42 as GetClientsDetails describes her; `credit` None is a reply without a balance."""
    return ClientDetails(
        id=42,
        firstname="Jane",
        lastname="Doe",
        companyname="Acme Ltd",
        email="jane@example.com",
        status="Active",
        credit=None if credit is None else Decimal(credit),
        currency_id=currency_id,
        currency_code=currency_code,
    )
