"""A loopback Socket Mode endpoint: the WebSocket that `apps.connections.open` points the bot at.

It speaks Slack's envelope protocol: `hello` on connect, `slash_commands` envelopes delivered on request,
and acknowledgements (`{"envelope_id": ..., "payload": ...}`) recorded as the bot sends them.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from types import TracebackType
from typing import Any, Self

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

APP_ID = "A0CREDITS"


class FakeSocketMode:
    def __init__(self) -> None:
        self.acks: dict[str, dict[str, Any]] = {}
        self.connections: list[ServerConnection] = []
        self.changed = threading.Condition()

    def __enter__(self) -> Self:
        self._server: Server = serve(self._serve_connection, "127.0.0.1", 0)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.disconnect_all()
        self._server.shutdown()

    @property
    def url(self) -> str:
        port = self._server.socket.getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/?ticket=fake-ticket"

    def _serve_connection(self, connection: ServerConnection) -> None:
        connection.send(
            json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": APP_ID}})
        )
        with self.changed:
            self.connections.append(connection)
            self.changed.notify_all()
        try:
            for message in connection:
                ack = json.loads(message)
                with self.changed:
                    self.acks[ack["envelope_id"]] = ack
                    self.changed.notify_all()
        except ConnectionClosed:
            pass
        finally:
            with self.changed:
                self.connections.remove(connection)
                self.changed.notify_all()

    def wait_connected(self, timeout: float = 10) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: bool(self.connections), timeout)

    def send_command(self, form: dict[str, str]) -> str:
        """Deliver a slash command as Slack does over the socket; returns its envelope id."""
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": "slash_commands",
            "accepts_response_payload": True,
            "payload": form,
        }
        # The bot may call itself connected a moment before this side has recorded the connection.
        with self.changed:
            assert self.changed.wait_for(lambda: bool(self.connections), 10), "the bot is not connected"
            connection = self.connections[-1]
        connection.send(json.dumps(envelope))
        return envelope_id

    def wait_for_ack(self, envelope_id: str, timeout: float = 10) -> tuple[dict[str, Any], float]:
        """The acknowledgement of `envelope_id` and how long after this call it arrived."""
        started = time.monotonic()
        with self.changed:
            arrived = self.changed.wait_for(lambda: envelope_id in self.acks, timeout)
            assert arrived, "the bot never acknowledged the envelope"
            return self.acks[envelope_id], time.monotonic() - started

    def disconnect_all(self) -> None:
        with self.changed:
            connections = list(self.connections)
        for connection in connections:
            connection.close()
