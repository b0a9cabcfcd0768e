"""`python -m bot socket`: the same app over Socket Mode, for servers Slack cannot reach.

The bot opens a WebSocket to Slack with the app-level token (SLACK_APP_TOKEN) and commands arrive over it:
no public URL, no inbound port. The app, its listeners, its limits and its lookup pool are the ones the HTTP
server uses. On SIGTERM it stops taking commands and drains the pool: each lookup acknowledged is answered or
its person told "the bot restarted" (bot/app/lookup_pool.py). When PORT is set, `/healthz` (and `/metrics`
when enabled) are served there, and `/healthz` answers 503 while the socket is not connected.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType
from wsgiref.simple_server import WSGIServer

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.errors import SlackApiError

from bot import settings as config
from bot.app.bootstrap import start_app
from bot.serve.gate import WsgiApp
from bot.serve.gunicorn_config import DRAIN_MARGIN_SECONDS, graceful_timeout
from bot.serve.gunicorn_config import threads as REQUEST_THREADS
from bot.serve.local_server import start_server
from bot.serve.wsgi import status_app
from bot.settings import ConfigurationError
from bot.slack.token_errors import TOKEN_ERRORS
from bot.telemetry.logs import event

logger = logging.getLogger("credits.socket")
FIRST_RETRY_SECONDS = 0.5
MAX_RETRY_SECONDS = 30.0
SIGNAL_POLL_SECONDS = 0.5
"""How often the main thread wakes while it waits for SIGTERM. The kernel may deliver the signal to any
thread; Python runs its handler only in the main thread, and only once that thread runs again, which a
wait without a timeout never does: the process then slept through SIGTERM until the platform's SIGKILL."""
CLOSE_SECONDS = 5.0
"""How long closing the socket may take before the drain goes on without it: slack_sdk's close joins its
own threads with no timeout, and a Socket Mode worker once sat over a minute after SIGTERM in a loaded
test run."""


def connect(handler: SocketModeHandler, stop: threading.Event) -> bool:
    """Connect, retrying with backoff while Slack is unreachable; False if stopped first.

    A token Slack refuses is a configuration error: one line and exit status 2, not an endless retry.
    """
    delay = FIRST_RETRY_SECONDS
    while not stop.is_set():
        try:
            handler.client.connect()
            event(logger, "socket_connected")
            return True
        except SlackApiError as error:
            code = str(error.response.get("error", ""))
            if code in TOKEN_ERRORS:
                raise ConfigurationError(f"Slack refused SLACK_APP_TOKEN ({code})") from None
            event(logger, "socket_connect_failed", logging.WARNING, reason=code, retry_s=delay)
        except Exception as error:  # unreachable, DNS, TLS: the same to us, wait and try again
            event(
                logger, "socket_connect_failed", logging.WARNING, reason=type(error).__name__, retry_s=delay
            )
        stop.wait(delay)
        delay = min(delay * 2, MAX_RETRY_SECONDS)
    return False


def close_within(close: Callable[[], object], timeout: float = CLOSE_SECONDS) -> bool:
    """Run `close` for at most `timeout` seconds; False, with a log line, when it had not finished (the
    process then exits without waiting for the threads it left)."""
    closing = threading.Thread(target=close, name="socket-close", daemon=True)
    closing.start()
    closing.join(timeout)
    if closing.is_alive():
        event(logger, "socket_close_slow", logging.WARNING, waited_s=timeout)
        return False
    return True


def serve_status(routes: WsgiApp, port: int) -> WSGIServer:
    try:
        return start_server(routes, "0.0.0.0", port)
    except OSError as error:
        raise ConfigurationError(f"cannot serve /healthz on PORT {port}: {error.strerror}") from None


def run(demo: bool) -> int:
    served = start_app(demo, socket_mode=True)
    served.warm_up()
    handler = SocketModeHandler(served.app, served.settings.app_token(), concurrency=REQUEST_THREADS)

    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    status = None
    left = 0
    closed = True
    try:
        if "port" in served.settings.model_fields_set:
            routes = status_app(handler.client.is_connected, served.exposed_metrics)
            status = serve_status(routes, served.settings.port)
        if connect(handler, stop):
            while not stop.wait(SIGNAL_POLL_SECONDS):
                pass
    except ConfigurationError as error:
        config.exit_with(error)
    finally:
        closing_started = time.monotonic()
        closed = close_within(handler.client.close)
        drain_seconds = graceful_timeout - DRAIN_MARGIN_SECONDS - (time.monotonic() - closing_started)
        left = served.pool.drain(max(drain_seconds, 0.0))
        if status is not None:
            status.shutdown()
    event(logger, "socket_stopped")
    if left or not closed:
        exit_now()
    return 0


def exit_now() -> None:
    """Exit 0 without waiting for the lookups the drain gave up on (their people have been told the bot
    restarted) or for a socket that would not close: the interpreter would otherwise join their threads
    until their WHMCS calls end, or forever (past the platform's SIGKILL, 30 s after its SIGTERM)."""
    for handler in logging.getLogger().handlers:
        handler.flush()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
