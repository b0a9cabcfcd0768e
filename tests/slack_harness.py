"""Drive the real app over HTTP: start it on a loopback port and send it signed slash commands."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import requests
from slack_sdk.signature import SignatureVerifier

from bot.settings import SlackSettings, WhmcsSettings
from bot.slack_app import build_services, create_app, slack_client
from bot.web import wsgi_app
from tests.fakes.slack import BOT_TOKEN, SIGNING_SECRET, TEAM_ID, FakeSlack

ALICE = "U0ALICE"
MALLORY = "U0MALLORY"
BILLING_GROUP = "S0BILLING"
CHANNEL = "C0BILLING"
_keys = itertools.count(1)


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietRequests(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


def slack_settings(slack: FakeSlack, **overrides: Any) -> SlackSettings:
    values: dict[str, Any] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": slack.api_url,
        "credits_allowed_users": [ALICE],
        "credits_allowed_usergroups": [BILLING_GROUP],
    }
    values.update(overrides)
    return SlackSettings(**values)


def signed_headers(body: str, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature or "",
        "Content-Type": "application/x-www-form-urlencoded",
    }


@dataclass
class Reply:
    status: int
    body: str
    seconds: float
    key: str

    def json(self) -> dict[str, Any]:
        import json

        data: dict[str, Any] = json.loads(self.body)
        return data


@dataclass
class BotUnderTest:
    url: str
    slack: FakeSlack

    def command_form(self, text: str, user: str = ALICE, channel: str = CHANNEL) -> tuple[str, str]:
        key = f"cmd{next(_keys)}"
        form = {
            "token": "deprecated-verification-token",
            "team_id": TEAM_ID,
            "team_domain": "fake",
            "channel_id": channel,
            "channel_name": "billing",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/credits",
            "text": text,
            "api_app_id": "A0CREDITS",
            "is_enterprise_install": "false",
            "response_url": self.slack.response_url(key),
            "trigger_id": f"1.2.{key}",
        }
        return urlencode(form), key

    def command(self, text: str, user: str = ALICE, channel: str = CHANNEL, **header_options: Any) -> Reply:
        body, key = self.command_form(text, user, channel)
        return self.post(body, signed_headers(body, **header_options), key)

    def post(self, body: str, headers: dict[str, str], key: str = "") -> Reply:
        started = time.monotonic()
        response = requests.post(self.url + "/slack/events", data=body.encode(), headers=headers, timeout=10)
        return Reply(response.status_code, response.text, time.monotonic() - started, key)

    def answer(self, reply: Reply, timeout: float = 10) -> dict[str, Any]:
        """The message that replaced the acknowledgement through the command's response_url."""
        posts = self.slack.wait_for_responses(reply.key, timeout=timeout)
        assert posts, "no answer arrived at the response_url"
        return posts[-1]


@contextmanager
def running_bot(
    slack: FakeSlack,
    whmcs: WhmcsSettings | None,
    *,
    clock: Callable[[], float] = time.monotonic,
    **overrides: Any,
) -> Iterator[BotUnderTest]:
    settings = slack_settings(slack, **overrides)
    client = slack_client(settings)
    application = wsgi_app(create_app(settings, build_services(settings, whmcs, client, clock), client))
    server = make_server(
        "127.0.0.1", 0, application, server_class=_ThreadingServer, handler_class=_QuietRequests
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield BotUnderTest(f"http://127.0.0.1:{server.server_port}", slack)
    finally:
        server.shutdown()
        server.server_close()
