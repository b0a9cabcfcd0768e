"""Socket Mode's connection and its status port, in-process: the real app and slack_bolt's handler against
the loopback Slack and its Socket Mode socket. The worker process as the Procfile runs it:
tests/e2e/test_socket_mode.py."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.app.bootstrap import build_services
from bot.app.create import create_app
from bot.app.lookup_pool import LookupPool
from bot.serve.socket_mode import close_within, connect, serve_status
from bot.serve.wsgi import status_app
from bot.settings import ConfigurationError
from bot.slack.token_errors import TOKEN_ERRORS
from bot.slack.web_api import slack_client
from bot.telemetry.metrics import Metrics
from tests.fakes.slack import APP_TOKEN, FakeSlack
from tests.fakes.socket_mode import FakeSocketMode
from tests.slack_harness import slack_settings


@contextmanager
def socket_handler(slack: FakeSlack) -> Iterator[SocketModeHandler]:
    settings = slack_settings(slack, slack_app_token=APP_TOKEN)
    services = build_services(settings, None, slack_client(settings), Metrics())
    pool = LookupPool(2, services.acknowledged)
    handler = SocketModeHandler(create_app(settings, services, socket_mode=True, pool=pool), APP_TOKEN)
    try:
        yield handler
    finally:
        handler.client.close()  # about a second: slack_sdk's client joins its threads
        pool.drain(10)
        services.close()


@pytest.fixture(scope="module")
def refusing_slack() -> Iterator[FakeSlack]:
    """One Slack and one handler for the module's cases that never connect (closing a handler is slow)."""
    with FakeSlack() as slack:
        yield slack


@pytest.fixture(scope="module")
def unconnected(refusing_slack: FakeSlack) -> Iterator[SocketModeHandler]:
    with socket_handler(refusing_slack) as handler:
        yield handler


@pytest.mark.parametrize("code", sorted(TOKEN_ERRORS))
def test_a_token_slack_refuses_stops_the_start_naming_the_code(
    unconnected: SocketModeHandler, refusing_slack: FakeSlack, code: str
) -> None:
    refusing_slack.methods["apps.connections.open"] = lambda args: (200, {"ok": False, "error": code})
    with pytest.raises(ConfigurationError, match=rf"^Slack refused SLACK_APP_TOKEN \({code}\)$"):
        connect(unconnected, threading.Event())


def test_while_slack_fails_it_retries_until_stopped(
    unconnected: SocketModeHandler, refusing_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    stop = threading.Event()

    def unavailable(args: object) -> tuple[int, dict[str, object]]:
        stop.set()  # the first failure is the last: connect must notice the stop instead of waiting
        return 200, {"ok": False, "error": "internal_error"}

    refusing_slack.methods["apps.connections.open"] = unavailable
    with caplog.at_level(logging.WARNING):
        assert connect(unconnected, stop) is False
    (failed,) = [
        getattr(r, "fields", {}) for r in caplog.records if r.getMessage() == "socket_connect_failed"
    ]
    assert failed == {"reason": "internal_error", "retry_s": 0.5}


def test_connected_it_says_so(slack: FakeSlack, caplog: pytest.LogCaptureFixture) -> None:
    with FakeSocketMode() as socket_mode, socket_handler(slack) as handler, caplog.at_level(logging.INFO):
        slack.socket_url = socket_mode.url
        assert connect(handler, threading.Event()) is True
        assert socket_mode.wait_connected()
        assert handler.client.is_connected()
    assert "socket_connected" in [r.getMessage() for r in caplog.records]


def test_a_status_port_in_use_is_a_configuration_error() -> None:
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigurationError, match=rf"^cannot serve /healthz on PORT {port}: "):
            serve_status(status_app(lambda: True, None), port)


def test_a_close_that_does_not_finish_is_given_up_on_with_a_line(caplog: pytest.LogCaptureFixture) -> None:
    """slack_sdk's close joins its threads with no timeout: the stop goes on after CLOSE_SECONDS."""
    released = threading.Event()
    try:
        assert not close_within(released.wait, timeout=0.05)
    finally:
        released.set()
    assert [getattr(r, "fields", {}) for r in caplog.records if r.getMessage() == "socket_close_slow"] == [
        {"waited_s": 0.05}
    ]
    assert close_within(lambda: None)
