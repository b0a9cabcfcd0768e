"""The small threaded WSGI server of Socket Mode's status routes and the tests' apps: one request held
does not hold the next, and requests are not logged one by one."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from bot.serve.local_server import start_server


def test_a_slow_request_does_not_hold_the_next(capsys: pytest.CaptureFixture[str]) -> None:
    release = threading.Event()

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ["PATH_INFO"] == "/slow":
            release.wait(10)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [environ["PATH_INFO"].encode()]

    server = start_server(app, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        with ThreadPoolExecutor(1) as pool:
            slow = pool.submit(requests.get, url + "/slow", timeout=10)
            assert requests.get(url + "/fast", timeout=10).text == "/fast"
            release.set()
            assert slow.result(10).text == "/slow"
    finally:
        release.set()
        server.shutdown()
        server.server_close()
    assert capsys.readouterr().err == "", "no line per request"


def test_the_serving_thread_does_not_keep_the_process_alive() -> None:
    before = set(threading.enumerate())
    server = start_server(lambda environ, start: [], "127.0.0.1", 0)
    try:
        started = set(threading.enumerate()) - before
        assert started and all(thread.daemon for thread in started), "serve_forever runs in a daemon thread"
    finally:
        server.shutdown()
        server.server_close()
