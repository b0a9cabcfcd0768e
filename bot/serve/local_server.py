"""A small threaded WSGI server in a daemon thread: Socket Mode's status routes, and the tests' apps."""

from __future__ import annotations

import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from bot.serve.gate import WsgiApp


class _ThreadingWsgiServer(ThreadingMixIn, WSGIServer):
    """socketserver's listen backlog of 5 drops the connections of a burst (40 commands at once in the
    tests), and the kernel retries a dropped one after 1, 3, 7... seconds: a minute lost, or a reset."""

    daemon_threads = True
    request_queue_size = 128


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
