"""The WSGI application gunicorn serves: `POST /slack/events` to Bolt, `GET /healthz` for the platform."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot import settings as config
from bot.logs import configure
from bot.lookup_pool import LookupPool
from bot.settings import ConfigurationError, SlackSettings, WhmcsSettings
from bot.slack_app import build_services, create_app, slack_client

StartResponse = Callable[..., Any]
EVENTS_PATH = "/slack/events"
MAX_BODY_BYTES = 64 * 1024


def _plain(start_response: StartResponse, status: str, text: str) -> list[bytes]:
    body = text.encode()
    start_response(
        status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    )
    return [body]


class WebApp:
    """The WSGI callable. `drain` lets lookups already acknowledged answer before the process exits:
    gunicorn's worker_exit hook (bot/gunicorn_config.py) calls it once the worker takes no more requests.
    """

    def __init__(self, app: App, pool: LookupPool | None = None) -> None:
        self._bolt = SlackRequestHandler(app, path=EVENTS_PATH)
        self._pool = pool

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        if path == "/healthz":
            return _plain(start_response, "200 OK", "ok\n")
        if path != EVENTS_PATH:
            return _plain(start_response, "404 Not Found", "not found\n")
        if method != "POST":
            return _plain(start_response, "405 Method Not Allowed", "POST only\n")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _plain(start_response, "400 Bad Request", "bad Content-Length\n")
        if length > MAX_BODY_BYTES:
            return _plain(start_response, "413 Content Too Large", "request body too large\n")
        result: Iterable[bytes] = self._bolt(environ, start_response)
        return result

    def drain(self, timeout: float) -> int:
        """Wait up to `timeout` seconds for lookups in flight; how many are still running."""
        return self._pool.drain(timeout) if self._pool is not None else 0


def wsgi_app(app: App, pool: LookupPool | None = None) -> WebApp:
    return WebApp(app, pool)


def create_application(demo: bool = False) -> WebApp:
    """The gunicorn entry point (`bot.web:create_application()`): settings, logging, app, in that order.

    A configuration error ends the process with one line and exit status 2, before any port is bound.
    """
    try:
        slack = config.load(SlackSettings)
        slack.require_allow_rule()
        whmcs = None if demo else config.load(WhmcsSettings)
    except ConfigurationError as error:
        config.exit_with(error)
    configure(slack.log_level, json_lines=slack.log_json)
    client = slack_client(slack)
    pool = LookupPool(slack.bot_concurrency)
    return wsgi_app(create_app(slack, build_services(slack, whmcs, client), client, pool), pool)
