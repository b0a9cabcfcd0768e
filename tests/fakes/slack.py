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
APP_TOKEN = "xapp-fake-app-token-89ab"
SIGNING_SECRET = "fake-signing-secret-4567"
TEAM_ID = "T0FAKE"
BOT_SCOPES = (
    "commands",
    "usergroups:read",
    "users:read",
    "chat:write",
    "files:write",
    "im:write",
    "channels:read",
    "groups:read",
    "im:read",
    "mpim:read",
)


HANG_UP = 0
"""A scripted method that answers with this status closes the connection without any answer."""

MethodAnswer = tuple[int, dict[str, Any]] | tuple[int, dict[str, Any], dict[str, str]]


@dataclass
class FakeSlack(LoopbackServer):
    """`groups` answers usergroups.users.list; `methods` overrides any method with a function of its args,
    answering (status, body) or (status, body, headers), or hanging up when the status is HANG_UP.

    auth.test lists `scopes` in its `x-oauth-scopes` header, as Slack does; apps.connections.open (with the
    app-level token) answers with `socket_url`. `response_failures[key]` lists what the response URL `key`
    answers before it takes a post (a 5xx, a 429 with Retry-After, HANG_UP), each once, in turn. Every Web
    API call is recorded in `calls` as (method, args), and the client port it came from in
    `api_connections`; every post to a response URL in `responses`.

    `refuse_tables` answers a post with a table block in its attachments as Slack answers a message it will
    not take: `invalid_attachments` (response URL: HTTP 400 with `{"ok": false, "error": ...}`;
    chat.postMessage: `ok: false`). Whether Slack really refuses a table anywhere is not known from here
    (issue 14 §4); the error names are those Slack documents for chat.postMessage. Refused posts are
    recorded in `refused`.
    """

    groups: dict[str, list[str]] = field(default_factory=dict)
    scopes: tuple[str, ...] = BOT_SCOPES
    socket_url: str = ""
    methods: dict[str, Callable[[dict[str, Any]], MethodAnswer]] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    responses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    uploads: dict[str, bytes] = field(default_factory=dict)
    not_in_channels: set[str] = field(default_factory=set)
    external_channels: set[str] = field(default_factory=set)
    pending_external_channels: set[str] = field(default_factory=set)
    response_failures: dict[str, list[MethodAnswer]] = field(default_factory=dict)
    api_connections: set[int] = field(default_factory=set)
    used_triggers: set[str] = field(default_factory=set)
    refuse_tables: bool = False
    refused: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
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

    def wait_for_calls(self, method: str, count: int, timeout: float = 10) -> list[dict[str, Any]]:
        """The calls of `method` once there are `count` of them (or whatever came by `timeout`)."""
        with self.changed:
            self.changed.wait_for(lambda: len(self.method_calls(method)) >= count, timeout)
            return self.method_calls(method)

    def record_response(self, key: str, body: dict[str, Any]) -> None:
        with self.changed:
            self.responses.setdefault(key, []).append(body)
            self.changed.notify_all()

    def record_refused(self, key: str, body: dict[str, Any]) -> None:
        with self.changed:
            self.refused.setdefault(key, []).append(body)
            self.changed.notify_all()

    def call(self, method: str, args: dict[str, Any], token: str) -> MethodAnswer:
        with self.changed:
            self.calls.append((method, args))
            self.changed.notify_all()
        if token not in (BOT_TOKEN, APP_TOKEN):
            return 200, {"ok": False, "error": "invalid_auth"}
        if (method == "apps.connections.open") != (token == APP_TOKEN):
            return 200, {"ok": False, "error": "not_allowed_token_type"}
        if method in self.methods:
            return self.methods[method](args)
        if method == "apps.connections.open":
            return 200, {"ok": True, "url": self.socket_url}
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
        if method == "conversations.info":
            return 200, {"ok": True, "channel": self.conversation(str(args.get("channel", "")))}
        if method == "conversations.open":
            return 200, {"ok": True, "channel": {"id": "D" + str(args.get("users", "")).lstrip("UW")}}
        if method == "files.getUploadURLExternal":
            file_id = f"F{len(self.uploads) + 1:04d}"
            self.uploads[file_id] = b""
            return 200, {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = json.loads(args.get("files", "[]"))
            return 200, {
                "ok": True,
                "files": [{"id": item["id"], "title": item.get("title")} for item in files],
            }
        if method == "chat.postMessage":
            if self.refuse_tables and has_table(args):
                return 200, {"ok": False, "error": "invalid_attachments"}
            channel = str(args.get("channel", ""))
            if channel in self.not_in_channels:
                return 200, {"ok": False, "error": "not_in_channel"}
            if channel.startswith(("U", "W")):  # to a person: Slack posts in their DM with the bot
                channel = "D" + channel.lstrip("UW")
            return 200, {"ok": True, "channel": channel, "ts": f"{time.time():.6f}"}
        if method in ("views.open", "views.publish"):
            return self.view_answer(method, args)
        return 200, {"ok": False, "error": "unknown_method"}

    def view_answer(self, method: str, args: dict[str, Any]) -> MethodAnswer:
        """views.open and views.publish as Slack answers them (docs.slack.dev/reference/methods/views.open
        and views.publish: `{"ok": true, "view": {...}}` with the view's id, type and blocks echoed back);
        views.open refuses a missing or used trigger (`invalid_trigger_id` is what Slack says for an expired
        or unknown one), views.publish a missing user_id."""
        view = args.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        if not isinstance(view, dict):
            return 200, {"ok": False, "error": "invalid_arguments"}
        if method == "views.open":
            trigger = str(args.get("trigger_id", ""))
            with self.changed:
                used = trigger in self.used_triggers
                self.used_triggers.add(trigger)
            if not trigger or used:
                return 200, {"ok": False, "error": "invalid_trigger_id"}
        elif not args.get("user_id"):
            return 200, {"ok": False, "error": "invalid_arguments"}
        view_id = f"V{len(self.calls):06d}"
        return 200, {"ok": True, "view": {**view, "id": view_id, "team_id": TEAM_ID, "hash": "1.0"}}

    def views(self, method: str) -> list[dict[str, Any]]:
        """The views sent with views.open or views.publish, decoded."""
        found: list[dict[str, Any]] = []
        for args in self.method_calls(method):
            view = args.get("view")
            found.append(json.loads(view) if isinstance(view, str) else dict(view or {}))
        return found

    def conversation(self, channel: str) -> dict[str, Any]:
        """conversations.info's channel, in the shape of Slack's conversation object
        (docs.slack.dev/reference/objects/conversation-object): Slack Connect shows in is_ext_shared,
        an invitation not yet accepted in is_pending_ext_shared."""
        external = channel in self.external_channels
        return {
            "id": channel,
            "is_channel": channel.startswith("C"),
            "is_group": False,
            "is_im": channel.startswith("D"),
            "is_mpim": False,
            "is_private": channel.startswith(("G", "D")),
            "is_archived": False,
            "is_shared": external,
            "is_org_shared": False,
            "is_ext_shared": external,
            "is_pending_ext_shared": channel in self.pending_external_channels,
            "pending_shared": [],
            "context_team_id": TEAM_ID,
            "shared_team_ids": [TEAM_ID, "T0OTHERORG"] if external else [TEAM_ID],
            "is_member": channel not in self.not_in_channels,
        }


def has_table(args: dict[str, Any]) -> bool:
    """Whether a post carries a table block in its attachments (a form field as JSON text, or JSON)."""
    attachments = args.get("attachments")
    if isinstance(attachments, str):
        attachments = json.loads(attachments)
    return any(
        block.get("type") == "table"
        for attachment in attachments or []
        for block in attachment.get("blocks", [])
    )


class _Handler(QuietHandler):
    def do_POST(self) -> None:
        owner: FakeSlack = self.server.owner  # type: ignore[attr-defined]
        raw = self.read_body()
        path, _, query = self.path.partition("?")
        if path.startswith("/upload/"):
            with owner.changed:
                owner.uploads[path.removeprefix("/upload/")] = raw
            self.send(200, b"OK - " + str(len(raw)).encode(), "text/plain")
            return
        args: dict[str, Any] = {key: values[0] for key, values in parse_qs(query).items()}
        if "json" in (self.headers.get("Content-Type") or ""):
            args.update(json.loads(raw or b"{}"))
        else:
            args.update({key: values[0] for key, values in parse_qs(raw.decode()).items()})
        if path.startswith("/response/"):
            key = path.removeprefix("/response/")
            with owner.changed:
                failures = owner.response_failures.get(key) or []
                failure = failures.pop(0) if failures else None
            if failure is not None:
                if failure[0] == HANG_UP:
                    self.close_connection = True
                    return
                headers = failure[2] if len(failure) == 3 else {}
                self.send(failure[0], json.dumps(failure[1]).encode(), "text/plain", headers)
                return
            if owner.refuse_tables and has_table(args):
                owner.record_refused(key, args)
                self.send(400, b'{"ok":false,"error":"invalid_attachments"}', "application/json")
                return
            owner.record_response(key, args)
            self.send(200, b"ok", "text/plain")
            return
        if path.startswith("/api/"):
            token = (self.headers.get("Authorization") or "").removeprefix("Bearer ") or args.get("token", "")
            method = path.removeprefix("/api/")
            with owner.changed:
                owner.api_connections.add(self.client_address[1])
            answer = owner.call(method, args, token)
            if answer[0] == HANG_UP:
                self.close_connection = True
                return
            headers = answer[2] if len(answer) == 3 else {}
            if method == "auth.test":
                headers = {**headers, "x-oauth-scopes": ",".join(owner.scopes)}
            self.send(answer[0], json.dumps(answer[1]).encode(), "application/json; charset=utf-8", headers)
            return
        self.send(404, b"not found", "text/plain")
