"""The WSGI application gunicorn serves: `POST /slack/events` to Bolt, `GET /healthz` for the platform, and
`GET /metrics` for Prometheus when METRICS_ENABLED. Socket Mode serves the same status routes on $PORT.

Requests for Slack pass the gate (`bot.serve.gate`) before Bolt sees them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from prometheus_client import make_wsgi_app
from slack_bolt import App, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest

from bot.app.bootstrap import start_app
from bot.app.lookup_pool import Intake, LookupPool
from bot.core.numbers import whole_number
from bot.serve.gate import (
    EVENTS_PATH,
    FORM,
    JSON,
    MAX_BODY_BYTES,
    StartResponse,
    WsgiApp,
    _plain,
    bolt_request,
    content_length,
    is_event,
    media_type,
)
from bot.telemetry.logs import event
from bot.telemetry.metrics import Metrics

logger = logging.getLogger(__name__)


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


class GatedRequestHandler(SlackRequestHandler):
    """Bolt's own WSGI adapter, which reads the body and turns Bolt's response into WSGI's, with the gate's
    checks on the body between the two: a body that is not UTF-8, or that Bolt could not read, is a 400
    (`bot.serve.gate.bolt_request`), and a request refused for its signature is logged with its age."""

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        try:
            body = request.get_body()
        except UnicodeDecodeError:
            return BoltResponse(status=HTTPStatus.BAD_REQUEST, body="body is not UTF-8\n")
        if media_type(request.environ) == JSON and not is_event(body):
            return BoltResponse(
                status=HTTPStatus.UNSUPPORTED_MEDIA_TYPE, body=f"{FORM}, or JSON events only\n"
            )
        bolt = bolt_request(body, request.environ)
        if bolt is None:
            return BoltResponse(status=HTTPStatus.BAD_REQUEST, body="unreadable body\n")
        response = self.app.dispatch(bolt)
        if response.status == HTTPStatus.UNAUTHORIZED:  # forged, or replayed: the age tells them apart
            sent_at = whole_number(request.environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", ""))
            age = None if sent_at is None else round(time.time()) - sent_at
            event(logger, "request_refused", reason="signature", timestamp_age_s=age)
        return response


class WebApp:
    """The WSGI callable: Slack's requests to Bolt, everything else to the status routes (`metrics=None`: no
    `/metrics`). `drain` lets lookups already acknowledged answer before the process exits:
    gunicorn's worker_exit hook (bot/gunicorn_config.py) calls it once the worker takes no more requests.
    """

    def __init__(
        self,
        app: App,
        metrics: Metrics | None = None,
        pool: LookupPool | None = None,
        warm_up: Callable[[], None] = lambda: None,
        intake: Intake | None = None,
    ) -> None:
        self._slack = GatedRequestHandler(app)
        self._pool = pool
        self._intake = intake
        self.warm_up = warm_up
        """gunicorn's post_worker_init hook calls it in the worker, once it serves (never before the fork:
        a thread started in the master would not exist in the worker)."""
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
        if media_type(environ) not in (FORM, JSON):
            return _plain(start_response, HTTPStatus.UNSUPPORTED_MEDIA_TYPE, f"{FORM} only\n")
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
        if timestamp is not None and whole_number(timestamp) is None:  # Bolt's int() would raise on it
            return _plain(start_response, HTTPStatus.UNAUTHORIZED, "invalid request timestamp\n")
        if self._intake is None:
            return self._slack(environ, start_response)
        with self._intake.serving():
            return self._slack(environ, start_response)

    def drain(self, timeout: float) -> int:
        """Wait up to `timeout` seconds for lookups in flight; how many are still running."""
        return self._pool.drain(timeout) if self._pool is not None else 0


def create_application(demo: bool = False) -> WebApp:
    """The gunicorn entry point (`bot.serve.wsgi:create_application()`); a configuration error ends the
    process with one line and exit status 2, before any port is bound.
    """
    served = start_app(demo, socket_mode=False)
    return WebApp(served.app, served.exposed_metrics, served.pool, served.warm_up, served.intake)
