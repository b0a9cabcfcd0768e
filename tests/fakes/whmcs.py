"""A loopback WHMCS: POST /includes/api.php with form fields, JSON replies shaped like a live WHMCS 8."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

from tests.fakes.loopback import LoopbackServer, QuietHandler

IDENTIFIER = "fake-identifier-1d2c"
SECRET = "fake-secret-9f8e7d"
ACCESS_KEY = "fake-access-key-5a4b"


@dataclass
class Reply:
    """What the fake sends back: a JSON-able object, or raw text/bytes (HTML pages, truncated JSON)."""

    body: Any
    status: int = 200
    delay: float = 0.0
    content_type: str = "application/json"

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body, default=str).encode()


def error(message: str, status: int = 200) -> Reply:
    return Reply({"result": "error", "message": message}, status=status)


def credits_reply(client_id: int, entries: list[dict[str, Any]]) -> dict[str, Any]:
    """The nested shape a live WHMCS 7/8 sends, integer ids and two-decimal string amounts."""
    return {
        "result": "success",
        "totalresults": len(entries),
        "clientid": client_id,
        "credits": {"credit": entries},
    }


def flattened(reply: dict[str, Any]) -> dict[str, str]:
    """The documentation's shape: every key flattened with brackets, every value a string."""
    flat: dict[str, str] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}[{key}]" if prefix else str(key), item)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(f"{prefix}[{index}]", item)
        else:
            flat[prefix] = str(value)

    walk("", reply)
    return flat


def entry(entry_id: int, day: str, description: str, amount: str | Decimal, relid: int = 0) -> dict[str, Any]:
    return {"id": entry_id, "date": day, "description": description, "amount": str(amount), "relid": relid}


@dataclass
class FakeWhmcs(LoopbackServer):
    """Answers GetCredits from `credits`; `queue` replies to send next, in order, whatever was asked.

    Every request's form fields are recorded in `calls`. `latency` delays every answer.
    """

    credits: dict[int, Any] = field(default_factory=dict)
    queued: list[Reply] = field(default_factory=list)
    calls: list[dict[str, str]] = field(default_factory=list)
    latency: float = 0.0
    responder: Callable[[dict[str, str]], Reply] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.handler_class = _Handler

    def __hash__(self) -> int:
        return id(self)

    def set_credits(self, client_id: int, entries: list[dict[str, Any]]) -> None:
        self.credits[client_id] = credits_reply(client_id, entries)

    def queue(self, *replies: Reply) -> None:
        with self.lock:
            self.queued.extend(replies)

    def actions(self, name: str) -> list[dict[str, str]]:
        return [call for call in self.calls if call.get("action") == name]

    def answer(self, fields: dict[str, str]) -> Reply:
        with self.lock:
            self.calls.append(fields)
            if self.queued:
                return self.queued.pop(0)
        if self.responder is not None:
            return self.responder(fields)
        if fields.get("identifier") != IDENTIFIER or fields.get("secret") != SECRET:
            return error("Authentication Failed", status=403)
        if fields.get("responsetype") != "json":
            return Reply(
                '<?xml version="1.0"?><whmcsapi><result>success</result></whmcsapi>', content_type="text/xml"
            )
        if fields.get("action") == "GetCredits":
            client_id = int(fields.get("clientid", "0"))
            if client_id in self.credits:
                return Reply(self.credits[client_id])
            return error("Client ID Not Found")
        return error(
            f'Invalid Permissions: API action "{fields.get("action", "").lower()}" is not allowed', status=403
        )


class _Handler(QuietHandler):
    def do_POST(self) -> None:
        owner: FakeWhmcs = self.server.owner  # type: ignore[attr-defined]
        if self.path != "/includes/api.php":
            self.send(404, b"<html>Not Found</html>", "text/html")
            return
        form = {key: values[0] for key, values in parse_qs(self.read_body().decode()).items()}
        reply = owner.answer(form)
        delay = reply.delay or owner.latency
        if delay:
            time.sleep(delay)
        try:
            self.send(reply.status, reply.encoded(), reply.content_type)
        except (BrokenPipeError, ConnectionResetError):
            return
