"""The HTTP endpoint under malformed, forged and oversized requests: always a 2xx or 4xx, never a 5xx.

Requests go over real HTTP into the real app. Signed-but-malformed bodies matter most: unsigned ones are
refused at signature verification, but Bolt parses a body before it verifies it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.serve.gate import EVENTS_PATH, MAX_BODY_BYTES
from tests.fakes.slack import SIGNING_SECRET, TEAM_ID, FakeSlack
from tests.fakes.whmcs import FakeWhmcs
from tests.slack_harness import ALICE, CHANNEL, BotUnderTest, signed_headers

FORM = "application/x-www-form-urlencoded"
HTTP_FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def sign(body: bytes, timestamp: str | None = None) -> dict[str, str]:
    """Slack's signature over raw bytes, which need not be UTF-8."""
    stamp = timestamp or str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": "v0=" + digest.hexdigest()}


def post(bot: BotUnderTest, body: bytes, headers: dict[str, str]) -> requests.Response:
    return requests.post(bot.url + EVENTS_PATH, data=body, headers=headers, timeout=10)


def raw_http(bot: BotUnderTest, request: bytes) -> int:
    """Send bytes as they are (headers requests would refuse to send) and return the status code."""
    host, port = bot.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(request)
        status_line = connection.makefile("rb").readline()
    return int(status_line.split()[1])


@pytest.fixture
def bolt_errors(caplog: pytest.LogCaptureFixture) -> Iterator[list[logging.LogRecord]]:
    """Records at ERROR or above: Bolt logs a failing middleware or listener there before answering 500."""
    with caplog.at_level(logging.WARNING):
        yield caplog.records
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def command_form(bot: BotUnderTest, **fields: str) -> dict[str, str]:
    form = {
        "team_id": TEAM_ID,
        "channel_id": CHANNEL,
        "user_id": ALICE,
        "command": "/credits",
        "text": "help",
        "response_url": bot.slack.response_url("fuzz"),
    }
    form.update(fields)
    return form


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b'{"command": "/credits", "text": "42"}', "application/json", 415),
        (b"command=%2Fcredits&text=42", "text/plain", 415),
        (b"command=%2Fcredits&text=42", "", 415),
        (b"command=%2Fcredits&text=42", "multipart/form-data; boundary=x", 415),
        (b"command=%2Fcredits&text=\xff\xfe", FORM, 400),
        (b'{"command": "/credits"', FORM, 400),
        (b'{"command": "/credits", "user_id": 5}', FORM, 400),
        (b"payload=not-json", FORM, 400),
        (b"payload=%5B1%5D", FORM, 400),
        (b'payload={"type": "block_actions", "user": "U1"}', FORM, 400),
        (b"command=%2Fcredits&text=42", FORM, 400),
        (b"command=%2Fcredits&text=42&user_id=U0ALICE", FORM, 400),
        (b"command=%2Fother&text=42&user_id=U0ALICE&channel_id=C1", FORM, 404),
        (b"", FORM, 404),
    ],
)
def test_signed_but_malformed_bodies_get_a_4xx(
    bot: BotUnderTest,
    whmcs: FakeWhmcs,
    bolt_errors: list[logging.LogRecord],
    body: bytes,
    content_type: str,
    status: int,
) -> None:
    response = post(bot, body, {**sign(body), "Content-Type": content_type})
    assert response.status_code == status
    assert whmcs.calls == []


@pytest.mark.parametrize("timestamp", ["abc", "1e5", "-5", "", "12.5", "٣", "9" * 5000])
def test_a_timestamp_that_is_not_a_number_is_refused_not_a_crash(
    bot: BotUnderTest, bolt_errors: list[logging.LogRecord], timestamp: str
) -> None:
    body = urlencode(command_form(bot, text="42")).encode()
    headers = {**sign(body), "Content-Type": FORM}
    request = (
        (
            f"POST {EVENTS_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: {FORM}\r\nConnection: close\r\n"
            f"X-Slack-Signature: {headers['X-Slack-Signature']}\r\nContent-Length: {len(body)}\r\n"
        ).encode()
        + b"X-Slack-Request-Timestamp: "
        + timestamp.encode()
        + b"\r\n\r\n"
        + body
    )
    assert raw_http(bot, request) == 401


@pytest.mark.parametrize("length", ["-5", "abc", "1e3", "", " 7", "9" * 5000])
def test_a_content_length_that_is_not_a_size_is_a_400(bot: BotUnderTest, length: str) -> None:
    request = (
        f"POST {EVENTS_PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
    )
    assert raw_http(bot, request.encode() + b"abc") in (400, 401, 415)


def test_an_oversized_body_is_refused_before_it_is_read(bot: BotUnderTest) -> None:
    body = b"text=" + b"4" * MAX_BODY_BYTES
    assert post(bot, body, {**sign(body), "Content-Type": FORM}).status_code == 413
    request = (
        f"POST {EVENTS_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: {FORM}\r\n"
        f"Content-Length: {10**12}\r\nConnection: close\r\n\r\n"
    )
    assert raw_http(bot, request.encode()) == 413


def test_the_largest_allowed_body_is_read(bot: BotUnderTest, bolt_errors: list[logging.LogRecord]) -> None:
    form = urlencode(command_form(bot, text="4" * 10)).encode()
    body = form + b"&padding=" + b"x" * (MAX_BODY_BYTES - len(form) - len(b"&padding="))
    assert len(body) == MAX_BODY_BYTES
    response = post(bot, body, {**sign(body), "Content-Type": FORM})
    assert response.status_code == 200
    assert "Usage" in response.json()["text"]


def test_bolts_own_headers_cannot_skip_the_acknowledgement(bot: BotUnderTest, whmcs: FakeWhmcs) -> None:
    """Bolt re-invokes itself with these headers to run only a lazy listener; from outside they would skip the
    acknowledgement, which is where access is decided.
    """
    body, key = bot.command_form("42")
    headers = {
        **signed_headers(body),
        "X-Slack-Bolt-Lazy-Only": "1",
        "X-Slack-Bolt-Lazy-Function-Name": "lookup",
    }
    response = bot.post(body, headers, key)
    assert response.json()["text"] == "Looking up the credits of client #42…"
    assert bot.answer(response)["text"] == "No client #42 in WHMCS."


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"])
def test_healthz_answers_any_method(bot: BotUnderTest, method: str) -> None:
    assert requests.request(method, bot.url + "/healthz", data=b"\xff" * 100, timeout=5).status_code == 200


@pytest.mark.parametrize(("method", "path", "status"), [("GET", EVENTS_PATH, 405), ("POST", "/other", 404)])
def test_other_paths_and_methods(bot: BotUnderTest, method: str, path: str, status: int) -> None:
    assert requests.request(method, bot.url + path, timeout=5).status_code == status


form_keys = st.sampled_from(
    [
        "command",
        "text",
        "user_id",
        "channel_id",
        "team_id",
        "user_name",
        "payload",
        "type",
        "ssl_check",
        "token",
    ]
) | st.text(max_size=12).filter(lambda key: "url" not in key.lower())
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.text(max_size=8).filter(lambda key: "url" not in key.lower()), children, max_size=3
        )
    ),
    max_leaves=12,
)
form_values = st.text(max_size=60) | st.sampled_from(["/credits", ALICE, CHANNEL, "42", "help", "#7"])


@HTTP_FUZZ
@given(
    st.dictionaries(form_keys, form_values, max_size=8),
    st.none() | json_values.map(json.dumps),
    st.booleans(),
)
@example({"command": "/credits", "text": "42"}, None, False)
@example({"command": "/credits", "user_id": ALICE, "channel_id": CHANNEL, "text": "\x00"}, None, True)
@example({"command": "/credits", "user_id": "", "channel_id": CHANNEL, "text": "42"}, None, False)
@example({}, json.dumps({"type": "block_actions", "user": {"id": ALICE}, "actions": [1]}), False)
@example({}, json.dumps({"type": "view_submission", "view": None}), False)
def test_any_signed_form_gets_a_2xx_or_4xx(
    bot: BotUnderTest,
    bolt_errors: list[logging.LogRecord],
    fields: dict[str, str],
    payload: str | None,
    with_response_url: bool,
) -> None:
    fields.pop("response_url", None)
    if payload is not None:
        fields["payload"] = payload
    if with_response_url:
        fields["response_url"] = bot.slack.response_url("fuzz")
    body = urlencode(fields).encode()
    response = post(bot, body, {**sign(body), "Content-Type": FORM})
    assert 200 <= response.status_code < 500


@HTTP_FUZZ
@given(
    st.binary(max_size=400),
    st.sampled_from([FORM, f"{FORM}; charset=utf-8", "application/json", "text/plain", "", "x/y; a=b"]),
    st.sampled_from(["signed", "garbage", "missing", "stale"]),
)
@example(b"\xff\xfe{", FORM, "signed")
@example(b"{" * 1000, FORM, "signed")
@example(b"payload=" + b"[" * 10_000, FORM, "signed")
@example(b"a=%ff%fe", FORM, "signed")
def test_any_bytes_get_a_2xx_or_4xx(
    bot: BotUnderTest, bolt_errors: list[logging.LogRecord], body: bytes, content_type: str, signature: str
) -> None:
    headers = {"Content-Type": content_type}
    if signature == "signed":
        headers.update(sign(body))
    elif signature == "stale":
        headers.update(sign(body, str(int(time.time()) - 6 * 60)))
    elif signature == "garbage":
        headers.update({"X-Slack-Request-Timestamp": "garbage", "X-Slack-Signature": "v0=00"})
    response = post(bot, body, headers)
    assert 200 <= response.status_code < 500
    if signature in ("garbage", "missing", "stale") and response.status_code < 400:
        pytest.fail(f"an unsigned request was accepted: {response.status_code}")


def test_a_forged_command_never_reaches_slack_or_whmcs(
    bot: BotUnderTest, slack: FakeSlack, whmcs: FakeWhmcs
) -> None:
    body = urlencode(command_form(bot, text="42")).encode()
    for headers in (sign(body, str(int(time.time()) - 6 * 60)), {"X-Slack-Signature": "v0=00"}, {}):
        assert post(bot, body, {**headers, "Content-Type": FORM}).status_code == 401
    bot.settle()
    assert whmcs.calls == []
    assert slack.responses == {}


def test_a_real_button_press_passes_the_gate(bot: BotUnderTest, bolt_errors: list[logging.LogRecord]) -> None:
    """The shape Slack documents for block_actions (with `enterprise: null`, as Slack sends it)."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": ALICE, "username": "alice", "name": "alice", "team_id": TEAM_ID},
        "api_app_id": "A0CREDITS",
        "token": "deprecated",
        "container": {"type": "message", "message_ts": "1.2", "channel_id": CHANNEL, "is_ephemeral": True},
        "trigger_id": "1.2.3",
        "team": {"id": TEAM_ID, "domain": "fake"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": CHANNEL, "name": "billing"},
        "state": {"values": {}},
        "response_url": bot.slack.response_url("button"),
        "actions": [
            {
                "action_id": "next_page",
                "block_id": "paging",
                "text": {"type": "plain_text", "text": "Next"},
                "value": "42:2",
                "type": "button",
                "action_ts": "1.3",
            }
        ],
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    status = post(bot, body, {**sign(body), "Content-Type": FORM}).status_code
    assert status != 400
    assert 200 <= status < 500
