"""Drive the real app over HTTP: start it on a loopback port and send it signed slash commands."""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlencode
from wsgiref.simple_server import WSGIServer

import requests
from slack_sdk.signature import SignatureVerifier

from bot.app.bootstrap import build_services
from bot.app.create import create_app
from bot.app.lookup_pool import LookupPool
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
LONGEST_LOOKUP_SECONDS = 30
"""What running_bot waits at most for lookups still running when a test ends (WHMCS's worst case is about
2.25 x WHMCS_TIMEOUT, and the tests' timeouts are at most 10 s)."""
P = ParamSpec("P")
T = TypeVar("T")


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


class WatchedPool(LookupPool):
    """The app's lookup pool, which a test can wait on until every lookup it accepted has finished."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self._accepted = 0
        self._idle = threading.Condition()

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        with self._idle:
            self._accepted += 1
        try:
            future = super().submit(fn, *args, **kwargs)
        except BaseException:
            self._done()
            raise
        future.add_done_callback(lambda _: self._done())
        return future

    def _done(self) -> None:
        with self._idle:
            self._accepted -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._accepted == 0, timeout)


@dataclass
class BotUnderTest:
    url: str
    slack: FakeSlack
    pool: WatchedPool | None = None

    def settle(self, timeout: float = 10) -> None:
        """Wait until every lookup the app accepted so far has finished (answered, recorded, counted).

        A request is handed to the lookup pool before its acknowledgement is sent, so after a reply this is
        the moment from which nothing more can happen for it: what a test asserts did not happen, did not.
        """
        assert self.pool is not None, "settle() needs the app that running_bot builds"
        assert self.pool.wait_idle(timeout), f"lookups still running after {timeout} s"

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

    def interaction(self, payload: dict[str, Any], key: str = "") -> Reply:
        """A signed interaction payload, as Slack posts every one of them: a form with `payload`."""
        body = urlencode({"payload": json.dumps(payload)})
        return self.post(body, signed_headers(body), key)

    def shortcut(self, user: str = ALICE) -> Reply:
        """The global shortcut "Look up credits" (Slack's `shortcut` payload:
        docs.slack.dev/reference/interaction-payloads/shortcuts-interactions-payload)."""
        key = f"sc{next(_keys)}"
        return self.interaction(
            {
                "type": "shortcut",
                "token": "deprecated-verification-token",
                "action_ts": "1700000001.000200",
                "team": {"id": TEAM_ID, "domain": "fake"},
                "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
                "is_enterprise_install": False,
                "callback_id": "credits_picker",
                "trigger_id": f"1.2.{key}",
            },
            key,
        )

    def opened_view(self, method: str = "views.open", count: int = 1) -> dict[str, Any]:
        """The latest view the app sent with `method`, once there are `count` of them."""
        calls = self.slack.wait_for_calls(method, count)
        assert len(calls) >= count, f"no {method} call arrived"
        return self.slack.views(method)[count - 1]

    def suggest(self, view: dict[str, Any], typed: str, user: str = ALICE) -> Reply:
        """A person typed into the picker's client menu: Slack's `block_suggestion` payload
        (docs.slack.dev/reference/interaction-payloads/block-suggestion-payload)."""
        return self.interaction(
            {
                "type": "block_suggestion",
                "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
                "container": {"type": "view", "view_id": view.get("id", "V0")},
                "api_app_id": "A0CREDITS",
                "token": "deprecated-verification-token",
                "action_id": "credits_client",
                "block_id": "client",
                "value": typed,
                "team": {"id": TEAM_ID, "domain": "fake"},
                "view": {**view, "state": {"values": {}}},
            }
        )

    def submit(
        self,
        view: dict[str, Any],
        client: str | None,
        user: str = ALICE,
        *,
        since: str | None = None,
        until: str | None = None,
        last: str | None = None,
    ) -> Reply:
        """The picker submitted: Slack's `view_submission` payload with the inputs' state
        (docs.slack.dev/reference/interaction-payloads/view-interactions-payload)."""
        selected = (
            None if client is None else {"text": {"type": "plain_text", "text": client}, "value": client}
        )
        values = {
            "client": {"credits_client": {"type": "external_select", "selected_option": selected}},
            "since": {"credits_since": {"type": "datepicker", "selected_date": since}},
            "until": {"credits_until": {"type": "datepicker", "selected_date": until}},
            "last": {"credits_last": {"type": "plain_text_input", "value": last}},
        }
        return self.interaction(
            {
                "type": "view_submission",
                "team": {"id": TEAM_ID, "domain": "fake"},
                "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
                "api_app_id": "A0CREDITS",
                "token": "deprecated-verification-token",
                "trigger_id": f"1.2.sub{next(_keys)}",
                "view": {**view, "state": {"values": values}},
                "response_urls": [],
                "is_enterprise_install": False,
            }
        )

    def home_opened(self, user: str = ALICE, tab: str = "home") -> Reply:
        """The person opened the app's Home (or Messages) tab: an Events API `app_home_opened`, JSON as Slack
        posts events (docs.slack.dev/reference/events/app_home_opened)."""
        body = json.dumps(
            {
                "token": "deprecated-verification-token",
                "team_id": TEAM_ID,
                "api_app_id": "A0CREDITS",
                "event": {
                    "type": "app_home_opened",
                    "user": user,
                    "channel": "D" + user.lstrip("UW"),
                    "tab": tab,
                    "event_ts": "1700000002.000300",
                },
                "type": "event_callback",
                "event_id": f"Ev{next(_keys):08d}",
                "event_time": 1700000002,
            }
        )
        headers = {**signed_headers(body), "Content-Type": "application/json"}
        return self.post(body, headers)

    def press(self, button: dict[str, Any], user: str = ALICE) -> Reply:
        """Press a button on the Home tab: `block_actions` from a view, without channel or response_url."""
        return self.interaction(
            {
                "type": "block_actions",
                "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
                "api_app_id": "A0CREDITS",
                "token": "deprecated-verification-token",
                "container": {"type": "view", "view_id": "V0HOME"},
                "trigger_id": f"1.2.home{next(_keys)}",
                "team": {"id": TEAM_ID, "domain": "fake"},
                "view": {"id": "V0HOME", "type": "home"},
                "actions": [
                    {
                        "action_id": button["action_id"],
                        "block_id": "h1",
                        "value": button.get("value", ""),
                        "type": "button",
                        "action_ts": "1700000003.000400",
                    }
                ],
            }
        )

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
        stop_now(server)


def stop_now(server: WSGIServer) -> None:
    """`shutdown()`, woken by a connection instead of waiting out the serving loop's poll interval."""
    stopping = threading.Thread(target=server.shutdown)
    stopping.start()
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", server.server_port), timeout=1):
        pass
    stopping.join()
    server.server_close()


@contextmanager
def running_bot(
    slack: FakeSlack,
    whmcs: WhmcsSettings | None,
    *,
    clock: Callable[[], float] = time.time,
    **overrides: Any,
) -> Iterator[BotUnderTest]:
    """The app as `create_application` builds it, `/metrics` included, on a loopback port.

    On the way out it stops serving, lets the lookups it accepted finish (each is bounded by the WHMCS
    timeout), then shuts its pools and closes its HTTP sessions, so no test leaves threads behind.
    """
    settings = slack_settings(slack, **overrides)
    client = slack_client(settings)
    metrics = Metrics()
    pool = WatchedPool(settings.lookup_threads)
    services = build_services(settings, whmcs, client, metrics, clock)
    application = WebApp(create_app(settings, services, pool=pool), metrics)
    try:
        with serving(application) as url:
            yield BotUnderTest(url, slack, pool)
    finally:
        pool.drain(timeout=LONGEST_LOOKUP_SECONDS)
        services.close()


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
