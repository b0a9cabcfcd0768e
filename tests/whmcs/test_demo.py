"""The bundled demo data through the real client: it answers each action as a live WHMCS 8 would, so the
same normaliser reads it, and it shows what the demo is there to show."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.core.errors import ClientNotFound, WhmcsPermissionError
from bot.whmcs.client import WhmcsClient
from bot.whmcs.demo import DEMO_CLIENTS, DEMO_SETTINGS, demo_transport


@pytest.fixture
def demo() -> WhmcsClient:
    return WhmcsClient(demo_transport)


def test_the_documentation_example_nets_to_zero(demo: WhmcsClient) -> None:
    log = demo.get_credits(1)
    assert sorted(str(entry.amount) for entry in log.entries) == ["-10.00", "10.00"]
    assert log.total == 0


def test_the_long_history_is_the_same_on_every_start(demo: WhmcsClient) -> None:
    first, again = demo.get_credits(2), WhmcsClient(demo_transport).get_credits(2)
    assert first.count == 640
    assert first.entries == again.entries
    assert all(
        entry.amount is not None and entry.amount == entry.amount.quantize(Decimal("0.01"))
        for entry in first.entries
    ), "every amount readable, in cents"


def test_client_two_has_a_balance_that_differs_from_its_log_on_purpose(demo: WhmcsClient) -> None:
    details = demo.get_client(2, stats=True)
    assert details.credit == Decimal("30376.89")
    assert details.credit != demo.get_credits(2).total
    assert details.invoices is not None and details.invoices.due == 1


def test_an_empty_log_and_an_unknown_client(demo: WhmcsClient) -> None:
    assert demo.get_credits(3).count == 0
    with pytest.raises(ClientNotFound):
        demo.get_credits(99)
    with pytest.raises(ClientNotFound):
        demo.get_client(99)


def test_search_finds_by_the_start_of_any_name_or_the_email(demo: WhmcsClient) -> None:
    def found(text: str) -> list[int]:
        return [match.id for match in demo.search_clients(text, limit=10)[0]]

    assert found("acme") == [1, 4]
    assert found("jane d") == [1]
    assert found("max@") == [2]
    assert found("zzz") == []


def test_a_client_is_found_by_email_with_its_currency(demo: WhmcsClient) -> None:
    details = demo.get_client_by_email("ada@example.org")
    assert (details.id, details.currency_code) == (3, "GBP")
    assert {currency.code for currency in demo.get_currencies().values()} == {"USD", "EUR", "GBP"}


def test_an_action_the_bot_does_not_use_is_refused_as_whmcs_refuses_it(demo: WhmcsClient) -> None:
    with pytest.raises(WhmcsPermissionError):
        demo.call("AddCredit", "1", clientid="1")


def test_the_demo_settings_read_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WHMCS_ADMIN_PATH", "real-admin")
    assert DEMO_SETTINGS.admin_base == "https://billing.example.com/admin"
    assert set(DEMO_CLIENTS) == {1, 2, 3, 4}
