"""A loopback Slack: Web API methods under /api/, and `response_url` endpoints that record what was sent."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from tests.fakes.loopback import LoopbackServer, QuietHandler

BOT_TOKEN = "xoxb-fake-bot-token-0123"
SIGNING_SECRET = "fake-signing-secret-4567"
TEAM_ID = "T0FAKE"


HANG_UP = 0
"""A scripted method that answers with this status closes the connection without any answer."""

MethodAnswer = tuple[int, dict[str, Any]] | tuple[int, dict[str, Any], dict[str, str]]


@dataclass
class FakeSlack(LoopbackServer):
    """`groups` answers usergroups.users.list; `methods` overrides any method with a function of its args,
    answering (status, body) or (status, body, headers), or hanging up when the status is HANG_UP.

    Every Web API call is recorded in `calls` as (method, args); every post to a response URL in `responses`.
    """

    groups: dict[str, list[str]] = field(default_factory=dict)
    methods: dict[str, Callable[[dict[str, Any]], MethodAnswer]] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    responses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def __post_init__(self) -> None:
        self.handler_class = _Handler

    def __hash__(self) -> int:
        return id(self)

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    def response_url(self, key: str) -> str:
        return f"{self.url}/response/{key}"

    def method_calls(self, method: str) -> list[dict[str, Any]]:
        return [args for name, args in self.calls if name == method]

    def wait_for_responses(self, key: str, count: int = 1, timeout: float = 10) -> list[dict[str, Any]]:
        """The posts to response URL `key` once there are `count` of them (or whatever came by `timeout`)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while len(self.responses.get(key, [])) < count and time.monotonic() < deadline:
                self.changed.wait(deadline - time.monotonic())
            return list(self.responses.get(key, []))

    def record_response(self, key: str, body: dict[str, Any]) -> None:
        with self.changed:
            self.responses.setdefault(key, []).append(body)
            self.changed.notify_all()

    def call(self, method: str, args: dict[str, Any], token: str) -> MethodAnswer:
        with self.changed:
            self.calls.append((method, args))
        if token != BOT_TOKEN:
            return 200, {"ok": False, "error": "invalid_auth"}
        if method in self.methods:
            return self.methods[method](args)
        if method == "auth.test":
            return 200, {
                "ok": True,
                "url": "https://fake.slack.com/",
                "team": "Fake",
                "user": "creditsbot",
                "team_id": TEAM_ID,
                "user_id": "U0BOT",
                "bot_id": "B0BOT",
            }
        if method == "usergroups.users.list":
            group = args.get("usergroup", "")
            if group not in self.groups:
                return 200, {"ok": False, "error": "no_such_subteam"}
            return 200, {"ok": True, "users": self.groups[group]}
        if method == "users.info":
            return 200, {"ok": True, "user": {"id": args.get("user"), "name": "someone"}}
        return 200, {"ok": False, "error": "unknown_method"}


class _Handler(QuietHandler):
    def do_POST(self) -> None:
        owner: FakeSlack = self.server.owner  # type: ignore[attr-defined]
        raw = self.read_body()
        if "json" in (self.headers.get("Content-Type") or ""):
            args: dict[str, Any] = json.loads(raw or b"{}")
        else:
            args = {key: values[0] for key, values in parse_qs(raw.decode()).items()}
        if self.path.startswith("/response/"):
            owner.record_response(self.path.removeprefix("/response/"), args)
            self.send(200, b"ok", "text/plain")
            return
        if self.path.startswith("/api/"):
            token = (self.headers.get("Authorization") or "").removeprefix("Bearer ") or args.get("token", "")
            answer = owner.call(self.path.removeprefix("/api/"), args, token)
            if answer[0] == HANG_UP:
                self.close_connection = True
                return
            headers = answer[2] if len(answer) == 3 else {}
            self.send(answer[0], json.dumps(answer[1]).encode(), "application/json; charset=utf-8", headers)
            return
        self.send(404, b"not found", "text/plain")
