"""A threaded HTTP server on 127.0.0.1 with a free port, started and stopped as a context manager."""

from __future__ import annotations

import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive, like the real services; TCP_NODELAY so that the header and body writes of
    one answer are not held back by Nagle's algorithm against the client's delayed ACK (40 ms each)."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:
        return

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class _BurstTolerantServer(ThreadingHTTPServer):
    """socketserver's listen backlog of 5 drops connections from a burst, and each dropped one is retried a
    second or more later: bursts of calls (the load benchmark) must queue instead."""

    request_queue_size = 256


class LoopbackServer:
    """Owns a ThreadingHTTPServer whose handler class can reach this object as `self.server.owner`.

    Set `tls` before entering to serve HTTPS with that context (a self-signed certificate, say).
    """

    handler_class: type[QuietHandler]
    tls: ssl.SSLContext | None = None

    def __enter__(self) -> Self:
        self._server = _BurstTolerantServer(("127.0.0.1", 0), self.handler_class)
        if self.tls is not None:
            self._server.socket = self.tls.wrap_socket(self._server.socket, server_side=True)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._server.owner = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01})
        self._thread.daemon = True
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}"
