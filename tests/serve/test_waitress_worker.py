"""The waitress worker's sweep of slow clients, on a real waitress server in this process: a loopback
client connects, and the event loop is turned by hand (no gunicorn, no waiting for the clock)."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server

from bot.serve.waitress_worker import REQUEST_SECONDS, SlowRequests, busy, is_busy
from tests.waiting import until


def hello(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Length", "2")])
    return [b"ok"]


@pytest.fixture
def server() -> Iterator[tuple[dict[int, Any], int]]:
    channels: dict[int, Any] = {}
    served = create_server(hello, map=channels, host="127.0.0.1", port=0, asyncore_use_poll=True)
    assert isinstance(served, BaseWSGIServer) and served.socket is not None
    try:
        yield channels, served.socket.getsockname()[1]
    finally:
        served.close()
        served.task_dispatcher.shutdown()
        for dispatcher in list(channels.values()):
            dispatcher.close()


def turn(channels: dict[int, Any]) -> bool:
    """One pass of the event loop; true, so that a condition can turn it and then look."""
    wasyncore.loop(timeout=0.05, use_poll=True, map=channels, count=1)
    return True


def connection(channels: dict[int, Any]) -> HTTPChannel:
    def accepted() -> bool:
        turn(channels)
        return any(isinstance(c, HTTPChannel) for c in channels.values())

    until(accepted, "waitress accepts the connection")
    (channel,) = [c for c in channels.values() if isinstance(c, HTTPChannel)]
    return channel


def test_a_client_that_connects_and_sends_nothing_is_closed_after_the_limit(
    server: tuple[dict[int, Any], int],
) -> None:
    channels, port = server
    with socket.create_connection(("127.0.0.1", port)):
        channel = connection(channels)
        slow = SlowRequests()
        assert slow.sweep(list(channels.values()), channel.creation_time + REQUEST_SECONDS) == 0
        assert slow.sweep(list(channels.values()), channel.creation_time + REQUEST_SECONDS + 0.1) == 1
        assert channel not in channels.values()


def test_a_request_trickling_in_is_closed_after_the_limit_from_its_first_byte(
    server: tuple[dict[int, Any], int],
) -> None:
    channels, port = server
    with socket.create_connection(("127.0.0.1", port)) as client:
        channel = connection(channels)
        client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        until(lambda: turn(channels) and channel.request is not None, "waitress reads the first bytes")
        slow = SlowRequests(limit=5)
        assert slow.sweep(list(channels.values()), 100.0) == 0, "first seen now: its time starts"
        assert slow.sweep(list(channels.values()), 105.0) == 0
        assert slow.sweep(list(channels.values()), 105.1) == 1


def test_a_connection_idle_between_requests_is_left_to_keepalive(server: tuple[dict[int, Any], int]) -> None:
    channels, port = server
    with socket.create_connection(("127.0.0.1", port)) as client:
        channel = connection(channels)
        client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        client.setblocking(False)
        received = bytearray()

        def answered() -> bool:
            turn(channels)
            with contextlib.suppress(BlockingIOError):  # nothing arrived yet
                received.extend(client.recv(1024))
            return received.endswith(b"ok")

        until(answered, "the answer arrives")
        until(lambda: turn(channels) and not is_busy(channel), "the answer is sent")
        assert not busy(list(channels.values()))
        assert SlowRequests().sweep(list(channels.values()), channel.last_activity + 1000) == 0


def test_only_connections_can_be_busy() -> None:
    assert not busy([object(), "not a channel"])
