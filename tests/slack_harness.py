"""Drive the real app over HTTP: start it on a loopback port and send it signed slash commands."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
from slack_sdk.signature import SignatureVerifier

from bot.app.bootstrap import build_services
from bot.app.create import create_app
from bot.serve.gate import WsgiApp
from bot.serve.local_server import start_server
from bot.serve.wsgi import WebApp
from bot.settings import SlackSettings, WhmcsSettings
from bot.slack.web_api import slack_client
from bot.telemetry.metrics import Metrics
from tests.fakes.slack import BOT_TOKEN, SIGNING_SECRET, TEAM_ID, FakeSlack

ALICE = "U0ALICE"
BOB = "U0BOB"
MALLORY = "U0MALLORY"
BILLING_GROUP = "S0BILLING"
CHANNEL = "C0BILLING"
_keys = itertools.count(1)


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


def slack_escaped(text: str) -> str:
    """A command's text as Slack delivers it: `&`, `<` and `>` as HTML entities, whatever the command's
    escape setting (Slack's docs on formatting, "Escaping text"; issue 12 §6)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass
class Reply:
    status: int
    body: str
    seconds: float
    key: str

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


@dataclass
class BotUnderTest:
    url: str
    slack: FakeSlack

    def command_form(
        self, text: str, user: str = ALICE, channel: str = CHANNEL, *, escaped: bool = False
    ) -> tuple[str, str]:
        """The form Slack posts for `/credits text`; `escaped` when `text` is already as Slack sends it
        (Slack's own markup such as `<mailto:...|...>`), else it is escaped here as Slack does."""
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
            "text": text if escaped else slack_escaped(text),
            "api_app_id": "A0CREDITS",
            "is_enterprise_install": "false",
            "response_url": self.slack.response_url(key),
            "trigger_id": f"1.2.{key}",
        }
        return urlencode(form), key

    def command(
        self,
        text: str,
        user: str = ALICE,
        channel: str = CHANNEL,
        *,
        escaped: bool = False,
        **header_options: Any,
    ) -> Reply:
        body, key = self.command_form(text, user, channel, escaped=escaped)
        return self.post(body, signed_headers(body, **header_options), key)

    def click(self, button: dict[str, Any], user: str = ALICE, channel: str = CHANNEL) -> Reply:
        """Press a button of an answer, as Slack sends it: a signed `block_actions` payload."""
        key = f"act{next(_keys)}"
        payload = {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
            "api_app_id": "A0CREDITS",
            "token": "deprecated-verification-token",
            "container": {"type": "message", "message_ts": "1700000000.000100", "is_ephemeral": True},
            "trigger_id": f"1.2.{key}",
            "team": {"id": TEAM_ID, "domain": "fake"},
            "channel": {"id": channel, "name": "billing"},
            "response_url": self.slack.response_url(key),
            "actions": [
                {
                    "action_id": button["action_id"],
                    "block_id": "b1",
                    "value": button.get("value", ""),
                    "type": "button",
                    "action_ts": "1700000001.000200",
                    "text": button.get("text", {"type": "plain_text", "text": "button"}),
                }
            ],
        }
        body = urlencode({"payload": json.dumps(payload)})
        return self.post(body, signed_headers(body), key)

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
def serving(application: WsgiApp) -> Iterator[str]:
    """A WSGI app on a loopback port, served from threads of this process; yields its base URL."""
    server = start_server(application, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def running_bot(
    slack: FakeSlack,
    whmcs: WhmcsSettings | None,
    *,
    clock: Callable[[], float] = time.time,
    **overrides: Any,
) -> Iterator[BotUnderTest]:
    """The app as `create_application` builds it, `/metrics` included, on a loopback port."""
    settings = slack_settings(slack, **overrides)
    client = slack_client(settings)
    metrics = Metrics()
    application = WebApp(
        create_app(settings, build_services(settings, whmcs, client, metrics, clock)), metrics
    )
    with serving(application) as url:
        yield BotUnderTest(url, slack)


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The buttons of a message by action_id."""
    found = {}
    for block in message.get("blocks", []):
        for element in block.get("elements", []) + ([block["accessory"]] if "accessory" in block else []):
            if element.get("type") == "button":
                found[element["action_id"]] = element
    return found


def all_text(message: dict[str, Any]) -> str:
    """Every piece of text a person would read in a message, one per line."""
    parts = [message.get("text", "")]

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "text" and isinstance(item, str):
                    parts.append(item)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(message.get("blocks", []))
    return "\n".join(parts)
