"""The WSGI callable in-process (wsgiref's test environ, no server): the status routes, Bolt's response
turned into WSGI, and the drain. Slack's requests through the gate, over real HTTP:
tests/serve/test_gate.py."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any
from wsgiref.util import setup_testing_defaults

from slack_bolt import App

from bot.serve.wsgi import WebApp, status_app
from bot.telemetry.metrics import Metrics
from tests.fakes.slack import SIGNING_SECRET


class Started:
    def __init__(self) -> None:
        self.status = ""
        self.headers: list[tuple[str, str]] = []

    def __call__(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        self.status, self.headers = status, headers


def get(app: Any, path: str, method: str = "GET") -> tuple[Started, bytes]:
    environ: dict[str, Any] = {"PATH_INFO": path, "REQUEST_METHOD": method, "wsgi.input": io.BytesIO()}
    setup_testing_defaults(environ)
    started = Started()
    body: Iterable[bytes] = app(environ, started)
    return started, b"".join(body)


def test_healthz_follows_what_healthy_says() -> None:
    healthy = [True]
    routes = status_app(lambda: healthy[0], None)
    assert get(routes, "/healthz")[0].status == "200 OK"
    healthy[0] = False
    started, body = get(routes, "/healthz")
    assert (started.status, body) == ("503 Service Unavailable", b"not connected to Slack\n")


def test_metrics_are_served_only_when_given() -> None:
    assert get(status_app(lambda: True, None), "/metrics")[0].status == "404 Not Found"
    started, body = get(status_app(lambda: True, Metrics()), "/metrics")
    assert started.status.startswith("200")
    assert b"credits_commands_total" in body


def bolt_app() -> App:
    return App(signing_secret=SIGNING_SECRET, token="xoxb-unused", token_verification_enabled=False)


def test_only_a_post_reaches_bolt_on_the_events_path() -> None:
    started, body = get(WebApp(bolt_app()), "/slack/events")
    assert (started.status, body) == ("405 Method Not Allowed", b"POST only\n")
    assert get(WebApp(bolt_app()), "/healthz")[0].status == "200 OK", "a web process that serves is healthy"


def post(
    app: Any, body: bytes, content_type: str = "application/x-www-form-urlencoded"
) -> tuple[Started, bytes]:
    environ: dict[str, Any] = {
        "PATH_INFO": "/slack/events",
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    setup_testing_defaults(environ)
    started = Started()
    answer: Iterable[bytes] = app(environ, started)
    return started, b"".join(answer)


def test_bolts_answer_reaches_wsgi_through_its_adapter_with_the_bodys_length() -> None:
    started, body = post(WebApp(bolt_app()), b"command=%2Fcredits&text=42")
    assert started.status == "401 Unauthorized", "unsigned: Bolt refused it"
    assert [value for name, value in started.headers if name.lower() == "content-length"] == [str(len(body))]


def test_a_body_the_gate_refuses_never_reaches_bolt() -> None:
    started, body = post(WebApp(bolt_app()), b"text=\xff\xfe")
    assert (started.status, body) == ("400 Bad Request", b"body is not UTF-8\n")
    started, body = post(WebApp(bolt_app()), b'{"command": "/credits"}', "application/json")
    assert started.status == "415 Unsupported Media Type", "JSON is for events only"
    started, body = post(WebApp(bolt_app()), b'{"not": "a form"}')
    assert (started.status, body) == ("400 Bad Request", b"unreadable body\n")


def test_without_a_pool_there_is_nothing_to_drain() -> None:
    assert WebApp(bolt_app()).drain(10) == 0
