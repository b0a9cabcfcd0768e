"""A gunicorn worker that serves the app with waitress, so that slow or idle clients cannot stall it.

gunicorn's threaded worker hands each connection to one of its threads to read the request, and a thread
waits as long as the client takes: 16 connections that send nothing held all 16 threads, and every
acknowledgement waited. waitress reads requests in one event loop, buffering them, and gives a thread only
a request that has fully arrived; so idle and slow clients cost a socket each, never a thread.

On top of waitress's own limits, a client gets REQUEST_SECONDS to send a request, from its connection (or
from the first byte of its next request) to the last byte; a connection idle after its answers is closed
after gunicorn's `keepalive`. gunicorn stays the master: the Procfile's command, its config (`worker_exit`
drains the lookups on SIGTERM), its heartbeat and its signals are unchanged.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from typing import Any

from gunicorn.workers.base import Worker
from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server

REQUEST_SECONDS = 10.0
"""How long a client may take to send one request. Slack sends a request in one go, in milliseconds."""

MAX_BODY_BYTES = 128 * 1024
"""Bodies larger than this get 413 from waitress before they are buffered; the gate refuses over 64 KiB."""

CONNECTION_LIMIT = 1000
"""Open connections waitress serves at once (its default is 100); each costs a socket and a small buffer."""

FINISH_SECONDS = 1
"""On SIGTERM, how long the requests in hand (acknowledgements, milliseconds each) get to finish before
`worker_exit` drains the lookups."""

LOOP_SECONDS = 0.5
"""The event loop wakes at least this often, to beat gunicorn's heartbeat and close slow requests."""


class SlowRequests:
    """Closes the connections whose client has been sending one request for longer than REQUEST_SECONDS,
    or that opened and sent nothing for that long; waitress's own `channel_timeout` only notices a
    connection that sends nothing at all, so one byte every few seconds would keep it forever."""

    def __init__(self, limit: float = REQUEST_SECONDS) -> None:
        self.limit = limit
        self._started: dict[HTTPChannel, float] = {}

    def sweep(self, channels: Iterable[object], now: float) -> int:
        """Close the channels over the limit; how many were closed."""
        seen: dict[HTTPChannel, float] = {}
        closed = 0
        for channel in channels:
            if not isinstance(channel, HTTPChannel) or channel.requests:
                continue  # being answered: the app's time, not the client's
            if channel.request is not None:
                started = self._started.get(channel, now)
            elif channel.last_activity == channel.creation_time:
                started = channel.creation_time  # connected, nothing sent yet
            else:
                continue  # idle between requests: channel_timeout (keepalive) closes it
            if now - started > self.limit:
                channel.handle_close()
                closed += 1
            else:
                seen[channel] = started
        self._started = seen
        return closed


def is_busy(channel: HTTPChannel) -> bool:
    """Whether a request of this connection is being answered, or its answer is still being sent."""
    return bool(channel.requests or channel.total_outbufs_len)


def busy(channels: Iterable[object]) -> bool:
    return any(isinstance(channel, HTTPChannel) and is_busy(channel) for channel in channels)


class WaitressWorker(Worker):  # type: ignore[misc]  # gunicorn has no type hints
    """gunicorn's worker contract (heartbeat, SIGTERM sets `alive` false, `worker_exit` after `run`) over
    waitress's event loop on the sockets gunicorn bound."""

    def run(self) -> None:
        channels: dict[int, Any] = {}
        server = create_server(
            self.wsgi,
            map=channels,
            sockets=[listener.sock for listener in self.sockets],
            threads=self.cfg.threads,
            channel_timeout=self.cfg.keepalive,
            connection_limit=CONNECTION_LIMIT,
            max_request_body_size=MAX_BODY_BYTES,
            asyncore_use_poll=True,
            expose_tracebacks=False,
            ident="credits-bot",
        )
        slow = SlowRequests()
        parent = self.ppid
        while self.alive and os.getppid() == parent:
            self.notify()
            wasyncore.loop(timeout=LOOP_SECONDS, use_poll=True, map=channels, count=1)
            slow.sweep(list(channels.values()), time.time())
        for dispatcher in list(channels.values()):
            if isinstance(dispatcher, BaseWSGIServer) and dispatcher.socket is not None:
                dispatcher.accepting = False  # stop accepting: new connections are refused
                dispatcher.del_channel()
                dispatcher.socket.close()
            elif isinstance(dispatcher, HTTPChannel) and not is_busy(dispatcher):
                dispatcher.handle_close()  # idle, or a request still arriving: it would never be answered
        finish_by = time.monotonic() + FINISH_SECONDS
        while busy(list(channels.values())) and time.monotonic() < finish_by:
            wasyncore.loop(timeout=0.05, use_poll=True, map=channels, count=1)
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=FINISH_SECONDS)
