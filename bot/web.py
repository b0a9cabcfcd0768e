"""The WSGI application gunicorn serves: `POST /slack/events` to Bolt, `GET /healthz` for the platform, and
`GET /metrics` for Prometheus when METRICS_ENABLED. Socket Mode serves the same status routes on $PORT.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import make_wsgi_app
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.metrics import Metrics
from bot.slack_app import start_app

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
EVENTS_PATH = "/slack/events"
MAX_BODY_BYTES = 64 * 1024


def _plain(start_response: StartResponse, status: str, text: str) -> list[bytes]:
    body = text.encode()
    start_response(
        status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    )
    return [body]


def status_app(healthy: Callable[[], bool], metrics: Metrics | None) -> WsgiApp:
    """`/healthz` (200, or 503 while `healthy()` is false) and, given metrics, `/metrics`; else 404."""
    exporter = make_wsgi_app(metrics.registry) if metrics is not None else None

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            if healthy():
                return _plain(start_response, "200 OK", "ok\n")
            return _plain(start_response, "503 Service Unavailable", "not connected to Slack\n")
        if path == "/metrics" and exporter is not None:
            result: Iterable[bytes] = exporter(environ, start_response)
            return result
        return _plain(start_response, "404 Not Found", "not found\n")

    return application


def wsgi_app(app: App, metrics: Metrics | None = None) -> WsgiApp:
    """Slack's requests to Bolt; everything else to the status routes (`metrics=None`: no `/metrics`)."""
    bolt = SlackRequestHandler(app, path=EVENTS_PATH)
    status = status_app(lambda: True, metrics)

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        if path != EVENTS_PATH:
            return status(environ, start_response)
        if method != "POST":
            return _plain(start_response, "405 Method Not Allowed", "POST only\n")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _plain(start_response, "400 Bad Request", "bad Content-Length\n")
        if length > MAX_BODY_BYTES:
            return _plain(start_response, "413 Content Too Large", "request body too large\n")
        result: Iterable[bytes] = bolt(environ, start_response)
        return result

    return application


def create_application(demo: bool = False) -> WsgiApp:
    """The gunicorn entry point (`bot.web:create_application()`); a configuration error ends the process
    with one line and exit status 2, before any port is bound.
    """
    served = start_app(demo, socket_mode=False)
    return wsgi_app(served.app, served.exposed_metrics)


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
