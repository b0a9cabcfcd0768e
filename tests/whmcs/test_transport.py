"""The transport's own pieces in-process: reading a reply whatever its status, naming a failure for the
operator, the one deadline of an action (on a socket pair), and the PHP output notices. The transport over
real HTTP is in tests/whmcs/test_client.py, test_hostile_replies.py and test_php_output.py."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from decimal import Decimal

import pytest

from bot.core.errors import WhmcsUnavailable
from bot.whmcs import transport
from bot.whmcs.transport import (
    PHP_OUTPUT_WARNING_INTERVAL,
    SLOT_WAIT_DEADLINES,
    Deadline,
    PhpOutputNotices,
    decode_reply,
    longest_call,
    redirect_target,
    tls_reason,
)
from tests.fakes.clock import FakeClock
from tests.waiting import until

PHP_WARNING = "Warning: Undefined variable $x in /srv/whmcs/api.php on line 4\n"


@pytest.fixture
def notices(monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> PhpOutputNotices:
    fresh = PhpOutputNotices(clock)
    monkeypatch.setattr(transport, "php_output", fresh)
    return fresh


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    left, right = socket.socketpair()
    with left, right:
        yield left, right


def test_a_json_body_is_the_reply_whatever_the_status(notices: PhpOutputNotices) -> None:
    body = '\ufeff {"result":"error","message":"Authentication Failed"} \n'.encode()
    assert decode_reply(body, 403) == {"result": "error", "message": "Authentication Failed"}
    assert decode_reply(b'{"amount": 0.1}', 200) == {"amount": Decimal("0.1")}
    assert notices.seen == 0


def test_php_messages_are_set_aside_and_counted(notices: PhpOutputNotices) -> None:
    assert decode_reply((PHP_WARNING + '{"result":"success"}').encode(), 200) == {"result": "success"}
    assert notices.seen == 1
    assert notices.last_message == PHP_WARNING.strip()


@pytest.mark.parametrize(
    ("body", "status", "cause", "reason"),
    [
        (b"<html>Bad Gateway</html>", 502, "http_status", "HTTP 502 without a JSON body"),
        (b"", 500, "http_status", "HTTP 500 without a JSON body"),
        (b"<html>Login</html>", 200, "not_json", "answered with HTML or XML instead of JSON"),
        (b'{"result":"succ', 200, "not_json", "answered with a body that is not JSON (truncated?)"),
        (b"\xff\xfe{", 200, "not_json", "answered with a body that is not JSON (truncated?)"),
    ],
)
def test_a_body_without_json_is_unavailable_saying_what_came(
    body: bytes, status: int, cause: str, reason: str, notices: PhpOutputNotices
) -> None:
    with pytest.raises(WhmcsUnavailable) as raised:
        decode_reply(body, status)
    assert raised.value.cause == cause
    assert reason in str(raised.value)


def test_the_operator_is_warned_again_only_after_the_interval(
    notices: PhpOutputNotices, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        notices.saw("first")
        clock.advance(PHP_OUTPUT_WARNING_INTERVAL / 2)
        notices.saw("second")
        clock.advance(PHP_OUTPUT_WARNING_INTERVAL / 2)
        notices.saw("third")
    warned = [
        getattr(r, "fields", {})["php_message"]
        for r in caplog.records
        if r.getMessage() == "whmcs_php_output"
    ]
    assert warned == ["first", "third"]
    assert (notices.seen, notices.last_message) == (3, "third")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate (_ssl.c)",
            "certificate not trusted: self-signed certificate",
        ),
        (
            "certificate verify failed: Hostname mismatch, certificate is not valid for 'x'. (_ssl.c:1006)",
            "certificate not trusted: Hostname mismatch, certificate is not valid for",
        ),
        (
            "[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)",
            "the server did not answer TLS: is it plain http?",
        ),
        ("EOF occurred in violation of protocol", "certificate not trusted?"),
    ],
)
def test_openssls_reason_is_told_in_a_few_words(text: str, reason: str) -> None:
    assert tls_reason(text) == reason


def test_a_redirect_names_its_target_without_credentials() -> None:
    assert redirect_target("https://user:pw@new.example.com/includes/api.php?x=1") == (
        "https://new.example.com/includes/api.php"
    )
    assert redirect_target("http://[::1") == "an unreadable address"


def test_the_longest_call_waits_for_a_slot_then_has_its_deadline() -> None:
    assert longest_call(10) == (SLOT_WAIT_DEADLINES + 1) * 10


def test_a_deadline_shuts_the_sockets_it_watches(pair: tuple[socket.socket, socket.socket]) -> None:
    left, _ = pair
    with Deadline(0.01) as deadline:
        deadline.watch(left)
        assert left.recv(1) == b"", "the blocked read returns once the deadline shuts the socket"
        assert deadline.passed
        assert deadline.remaining() == 0


def test_a_socket_watched_after_the_deadline_is_shut_at_once(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    left, _ = pair
    with Deadline(0.0) as deadline:
        until(lambda: deadline.passed, "the deadline passes")
        deadline.watch(left)
        assert left.recv(1) == b""


def test_an_action_ended_in_time_leaves_its_socket_open(pair: tuple[socket.socket, socket.socket]) -> None:
    left, right = pair
    with Deadline(60) as deadline:
        deadline.watch(left)
        assert 0 < deadline.remaining() <= 60
    right.sendall(b"x")
    assert left.recv(1) == b"x", "the connection stays usable for the pool"
    assert not deadline.passed
