"""The WSGI application gunicorn serves: `POST /slack/events` to Bolt, `GET /healthz` for the platform, and
`GET /metrics` for Prometheus when METRICS_ENABLED. Socket Mode serves the same status routes on $PORT.

Everything before Bolt is a gate that turns a request Bolt could not read into a 4xx: Bolt parses the body
before it checks the signature, so a body it cannot parse (not UTF-8, `{` that is not JSON, a `payload` of
the wrong shape) or a timestamp header that is not a number would otherwise be a 500 and a traceback, for
anyone who can reach the URL.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from http import HTTPStatus
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import make_wsgi_app
from slack_bolt import App, BoltRequest, BoltResponse

from bot.commands import whole_number
from bot.logs import event
from bot.lookup_pool import LookupPool
from bot.metrics import Metrics
from bot.slack_app import start_app

logger = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
EVENTS_PATH = "/slack/events"
MAX_BODY_BYTES = 64 * 1024
FORM = "application/x-www-form-urlencoded"
"""How Slack sends slash commands and interactivity, all this app receives; subscribing to Events API events,
which come as JSON, would mean accepting application/json here too."""
BOLT_INTERNAL_HEADERS = "x-slack-bolt-"
"""Bolt's own headers for re-invoking itself (lazy-only runs); Slack never sends them, so nobody else may."""


def _plain(start_response: StartResponse, status: HTTPStatus, text: str) -> list[bytes]:
    body = text.encode()
    start_response(
        f"{status.value} {status.phrase}",
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]


def status_app(healthy: Callable[[], bool], metrics: Metrics | None) -> WsgiApp:
    """`/healthz` (200, or 503 while `healthy()` is false) and, given metrics, `/metrics`; else 404."""
    exporter = make_wsgi_app(metrics.registry) if metrics is not None else None

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            if healthy():
                return _plain(start_response, HTTPStatus.OK, "ok\n")
            return _plain(start_response, HTTPStatus.SERVICE_UNAVAILABLE, "not connected to Slack\n")
        if path == "/metrics" and exporter is not None:
            result: Iterable[bytes] = exporter(environ, start_response)
            return result
        return _plain(start_response, HTTPStatus.NOT_FOUND, "not found\n")

    return application


def content_length(environ: dict[str, Any]) -> int | None:
    """The declared body size; 0 when absent, None when it is not a whole number of bytes."""
    return whole_number(str(environ.get("CONTENT_LENGTH") or "0").strip())


def media_type(environ: dict[str, Any]) -> str:
    return str(environ.get("CONTENT_TYPE") or "").partition(";")[0].strip().lower()


def request_headers(environ: dict[str, Any]) -> dict[str, str | Sequence[str]]:
    """The HTTP headers as Bolt expects them (lower-case, dashes), without Bolt's internal ones."""
    headers: dict[str, str | Sequence[str]] = {}
    for key, value in environ.items():
        if key in ("CONTENT_LENGTH", "CONTENT_TYPE"):
            name = key.lower().replace("_", "-")
        elif key.startswith("HTTP_"):
            name = key.removeprefix("HTTP_").lower().replace("_", "-")
        else:
            continue
        if not name.startswith(BOLT_INTERNAL_HEADERS):
            headers[name] = str(value)
    return headers


OBJECTS = ("event", "view", "container", "message", "state")
OBJECTS_OR_IDS = ("user", "team", "enterprise", "channel")
LISTS_OF_OBJECTS = ("actions", "authorizations")
ACTION_TYPES = ("block_actions", "interactive_message")


def has_slacks_shape(body: dict[str, Any]) -> bool:
    """The parts of a request that Bolt reads before any listener runs have the types Slack sends.

    Bolt's own middleware assumes them (`body["actions"][0].get(...)`, `body["event"].get(...)`) and fails
    with a 500 when a signed body has, say, `"view": 5` or `"actions": []`.
    """
    if any(not isinstance(body.get(key, {}), dict) for key in OBJECTS):
        return False
    if any(not isinstance(body.get(key), dict | str | None) for key in OBJECTS_OR_IDS):
        return False
    if body.get("type") in ACTION_TYPES and "actions" not in body:
        return False
    for key in LISTS_OF_OBJECTS:
        items = body.get(key, [{}])
        if not (isinstance(items, list) and items and all(isinstance(item, dict) for item in items)):
            return False
    return True


def bolt_request(body: str, environ: dict[str, Any]) -> BoltRequest | None:
    """Bolt's view of the request, or None when Bolt cannot read the body.

    Slack sends slash commands and interactivity as forms, but Bolt reads any body starting with `{` as
    JSON: such a body is refused here, as is one whose `payload` Bolt fails to parse or whose parts do not
    have the types Slack sends.
    """
    if body.startswith("{"):
        return None
    try:
        query = environ.get("QUERY_STRING", "")
        request = BoltRequest(body=body, query=query, headers=request_headers(environ))
    except Exception as error:  # whatever Bolt's parser trips on, the body is at fault, not the server
        event(logger, "unreadable_request", kind=type(error).__name__)
        return None
    return request if has_slacks_shape(request.body) else None


class WebApp:
    """The WSGI callable: Slack's requests to Bolt, everything else to the status routes (`metrics=None`: no
    `/metrics`). `drain` lets lookups already acknowledged answer before the process exits:
    gunicorn's worker_exit hook (bot/gunicorn_config.py) calls it once the worker takes no more requests.
    """

    def __init__(self, app: App, metrics: Metrics | None = None, pool: LookupPool | None = None) -> None:
        self._app = app
        self._pool = pool
        self._status = status_app(lambda: True, metrics)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        if path != EVENTS_PATH:
            return self._status(environ, start_response)
        if method != "POST":
            return _plain(start_response, HTTPStatus.METHOD_NOT_ALLOWED, "POST only\n")
        length = content_length(environ)
        if length is None:
            return _plain(start_response, HTTPStatus.BAD_REQUEST, "bad Content-Length\n")
        if length > MAX_BODY_BYTES:
            return _plain(start_response, HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "request body too large\n")
        if media_type(environ) != FORM:
            return _plain(start_response, HTTPStatus.UNSUPPORTED_MEDIA_TYPE, f"{FORM} only\n")
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
        sent_at = None if timestamp is None else whole_number(timestamp)
        if timestamp is not None and sent_at is None:  # Bolt's int() would raise on it
            return _plain(start_response, HTTPStatus.UNAUTHORIZED, "invalid request timestamp\n")
        try:
            body = environ["wsgi.input"].read(length).decode("utf-8") if length else ""
        except UnicodeDecodeError:
            return _plain(start_response, HTTPStatus.BAD_REQUEST, "body is not UTF-8\n")
        request = bolt_request(body, environ)
        if request is None:
            return _plain(start_response, HTTPStatus.BAD_REQUEST, "unreadable body\n")
        response = self._app.dispatch(request)
        if response.status == HTTPStatus.UNAUTHORIZED:  # forged, or replayed: the age tells them apart
            age = None if sent_at is None else round(time.time()) - sent_at
            event(logger, "request_refused", reason="signature", timestamp_age_s=age)
        return self._respond(start_response, response)

    @staticmethod
    def _respond(start_response: StartResponse, response: BoltResponse) -> list[bytes]:
        body = response.body.encode("utf-8")
        headers = [
            (name, value)
            for name, values in response.headers.items()
            if name.lower() != "content-length"
            for value in values
        ]
        status = HTTPStatus(response.status)
        start_response(f"{status.value} {status.phrase}", [*headers, ("Content-Length", str(len(body)))])
        return [body]

    def drain(self, timeout: float) -> int:
        """Wait up to `timeout` seconds for lookups in flight; how many are still running."""
        return self._pool.drain(timeout) if self._pool is not None else 0


def create_application(demo: bool = False) -> WebApp:
    """The gunicorn entry point (`bot.web:create_application()`); a configuration error ends the process
    with one line and exit status 2, before any port is bound.
    """
    served = start_app(demo, socket_mode=False)
    return WebApp(served.app, served.exposed_metrics, served.pool)


class _ThreadingWsgiServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietRequests(WSGIRequestHandler):
    """Requests are not logged one by one: health checks every few seconds would drown the events."""

    def log_message(self, format: str, *args: object) -> None:
        return


def start_server(application: WsgiApp, host: str, port: int) -> WSGIServer:
    """Serve `application` from a daemon thread (Socket Mode's status routes, and the tests' Slack app)."""
    server = make_server(
        host, port, application, server_class=_ThreadingWsgiServer, handler_class=_QuietRequests
    )
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server
