"""PHP's own messages around WHMCS's JSON, over real HTTP: the reply is used, the operator told once."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from bot.core.errors import WhmcsUnavailable
from bot.settings import WhmcsSettings
from bot.whmcs import transport
from bot.whmcs.client import WhmcsClient
from bot.whmcs.transport import PHP_OUTPUT_WARNING_INTERVAL, HttpTransport, PhpOutputNotices
from tests.fakes import corpus
from tests.fakes.clock import FakeClock
from tests.fakes.whmcs import FakeWhmcs, Reply, entry


def warnings(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    return [
        getattr(record, "fields", {})
        for record in caplog.records
        if record.getMessage() == "whmcs_php_output"
    ]


@pytest.fixture
def notices(monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> PhpOutputNotices:
    fresh = PhpOutputNotices(clock)
    monkeypatch.setattr(transport, "php_output", fresh)
    return fresh


def test_a_reply_behind_php_messages_is_read_and_the_operator_warned_once_in_ten_minutes(
    whmcs: FakeWhmcs,
    whmcs_settings: WhmcsSettings,
    notices: PhpOutputNotices,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    whmcs.set_credits(42, [entry(1, "2024-01-01", "Top-up", "12.50")])
    whmcs.php_output = corpus.DEPRECATED_HTML
    client = WhmcsClient(HttpTransport(whmcs_settings))
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            assert client.get_credits(42).total == Decimal("12.50")
        clock.advance(PHP_OUTPUT_WARNING_INTERVAL - 1)
        client.get_credits(42)
        assert len(warnings(caplog)) == 1
        clock.advance(1)
        client.get_credits(42)
    logged = warnings(caplog)
    assert len(logged) == 2
    assert logged[0]["php_message"] == corpus.WRAPPED[0].php_message
    assert "display_errors off" in str(logged[0]["advice"])
    assert notices.seen == 5


@pytest.mark.parametrize("shape", corpus.NOT_WHMCS, ids=lambda shape: shape.name)
def test_php_messages_around_anything_but_json_are_not_a_whmcs_reply(
    whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings, notices: PhpOutputNotices, shape: corpus.Shape
) -> None:
    whmcs.queue(Reply(shape.body, content_type=shape.content_type))
    with pytest.raises(WhmcsUnavailable) as raised:
        WhmcsClient(HttpTransport(whmcs_settings)).get_credits(42)
    assert raised.value.cause == "not_json"
    assert notices.seen == 0
