"""Issue 13 §1, §2: a WHMCS action ends within its one deadline and reads at most WHMCS_MAX_REPLY_MB,
whatever the server sends, over real HTTP (and TLS) against the loopback WHMCS."""

from __future__ import annotations

import platform
import ssl
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.core.errors import WhmcsReplyTooLarge, WhmcsUnavailable
from bot.core.messages import failure_text
from bot.settings import WhmcsSettings
from bot.whmcs.client import WhmcsClient
from bot.whmcs.transport import HttpTransport, map_large_buffers
from tests.fakes.whmcs import IDENTIFIER, SECRET, FakeWhmcs, Reply, credits_reply, entry, php_json

DEADLINE = 1.0
MARGIN = 2.0
"""Seconds a failing call may take beyond its deadline on a loaded machine: far less than what the
trickled and endless replies below would take (a minute or more, or forever)."""


def one_credit() -> dict[str, object]:
    return credits_reply(7, [entry(1, "2024-01-01", "Top-up", "10.00")])


def endless() -> Iterator[bytes]:
    """A chunked body that never ends: JSON's opening, then whitespace, a chunk every 50 ms."""
    yield b'{"result":"success","credits":{"credit":['
    while True:
        time.sleep(0.05)
        yield b" " * 16


def limited(whmcs_settings: WhmcsSettings, **update: float) -> WhmcsSettings:
    return whmcs_settings.model_copy(update={"whmcs_timeout": DEADLINE, **update})


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(Reply(one_credit(), trickle=0.2), id="a body trickled a byte at a time"),
        pytest.param(Reply(None, chunks=endless), id="a chunked body that never ends"),
    ],
)
def test_a_reply_that_never_finishes_ends_at_the_deadline(
    whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings, reply: Reply
) -> None:
    whmcs.queue(reply)
    client = WhmcsClient(HttpTransport(limited(whmcs_settings)))
    started = time.monotonic()
    with pytest.raises(WhmcsUnavailable) as raised:
        client.get_credits(7)
    took = time.monotonic() - started
    assert raised.value.timed_out
    assert DEADLINE * 0.9 <= took < DEADLINE + MARGIN
    assert failure_text(raised.value, DEADLINE) == "WHMCS didn't answer within 1 s, try again shortly."
    assert len(whmcs.calls) == 1, "a timed-out call is not retried"


def test_the_deadline_holds_over_tls(
    self_signed_tls: ssl.SSLContext,
    self_signed_certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Over TLS the watched socket is the one TLS wraps: shutting it down ends the TLS read too."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(self_signed_certificate[0]))
    server = FakeWhmcs()
    server.tls = self_signed_tls
    with server:
        server.queue(Reply(one_credit(), trickle=0.2))
        settings = WhmcsSettings(
            whmcs_url=server.url, whmcs_identifier=IDENTIFIER, whmcs_secret=SECRET, whmcs_timeout=DEADLINE
        )
        transport = HttpTransport(settings)
        started = time.monotonic()
        with pytest.raises(WhmcsUnavailable) as raised:
            WhmcsClient(transport).get_credits(7)
        assert raised.value.timed_out
        assert time.monotonic() - started < DEADLINE + MARGIN


def test_the_slot_of_a_stuck_call_is_freed_for_the_next(
    whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings
) -> None:
    """One slot: the call behind a trickling one gets it when the deadline ends the first, and answers."""
    whmcs.set_credits(8, [entry(1, "2024-01-01", "Top-up", "5.00")])
    whmcs.queue(Reply(one_credit(), trickle=0.2))
    client = WhmcsClient(HttpTransport(limited(whmcs_settings), pool_size=1))
    with ThreadPoolExecutor(2) as pool:
        stuck = pool.submit(client.get_credits, 7)
        whmcs.wait_for_calls(1)
        healthy = pool.submit(client.get_credits, 8)
        assert healthy.result(timeout=2 * DEADLINE + MARGIN).total == 5
        with pytest.raises(WhmcsUnavailable):
            stuck.result()


def test_a_connection_after_a_deadline_is_healthy(whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings) -> None:
    """The stuck connection is dropped, not put back in the pool: the next call on that transport works."""
    whmcs.set_credits(7, [entry(1, "2024-01-01", "Top-up", "10.00")])
    whmcs.queue(Reply(one_credit(), trickle=0.2))
    client = WhmcsClient(HttpTransport(limited(whmcs_settings), pool_size=1))
    with pytest.raises(WhmcsUnavailable):
        client.get_credits(7)
    assert client.get_credits(7).total == 10


def big_reply(entries: int) -> bytes:
    rows = [entry(n, "2024-01-01", "x" * 200, "1.00") for n in range(1, entries + 1)]
    return php_json(credits_reply(7, rows)).encode()


LARGE = big_reply(6000)


@pytest.mark.parametrize(
    ("reply", "size"),
    [
        pytest.param(Reply(LARGE), len(LARGE), id="a large reply, refused from its Content-Length"),
        pytest.param(Reply(LARGE, gzip=True), None, id="the same, gzip-encoded"),
        pytest.param(Reply(b" " * 20_000_000 + b"{}", gzip=True), None, id="a gzip bomb"),
        pytest.param(Reply(None, chunks=lambda: iter([b" " * 65536] * 40)), None, id="a chunked reply"),
    ],
)
def test_a_reply_over_the_limit_is_refused_and_not_read_whole(
    whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings, reply: Reply, size: int | None
) -> None:
    whmcs.queue(reply)
    settings = whmcs_settings.model_copy(update={"whmcs_max_reply_mb": 1})
    with pytest.raises(WhmcsReplyTooLarge) as raised:
        WhmcsClient(HttpTransport(settings)).get_credits(7)
    assert raised.value.limit_bytes == 1_000_000
    if size is None:
        assert 1_000_000 < raised.value.read_bytes < 1_200_000, "reading stops a chunk past the limit"
    else:
        assert raised.value.read_bytes == size
    assert "too large to show here" in failure_text(raised.value, 10)
    assert raised.value.kind == "reply_too_large"


def test_a_reply_under_the_limit_is_read_compressed_or_not(
    whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings
) -> None:
    body = big_reply(3000)
    assert len(body) < 1_000_000
    whmcs.queue(Reply(body), Reply(body, gzip=True))
    client = WhmcsClient(HttpTransport(whmcs_settings.model_copy(update={"whmcs_max_reply_mb": 1})))
    assert client.get_credits(7).total == client.get_credits(7).total == 3000


def test_a_reply_is_decoded_within_the_limit_while_another_call_runs(
    whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings
) -> None:
    """The deadline of one call does not end another's: each action watches only its own sockets."""
    whmcs.set_credits(8, [entry(1, "2024-01-01", "Top-up", "5.00")])
    whmcs.queue(Reply(one_credit(), trickle=0.2))
    client = WhmcsClient(HttpTransport(limited(whmcs_settings, whmcs_timeout=3 * DEADLINE), pool_size=2))
    with ThreadPoolExecutor(2) as pool:
        stuck = pool.submit(client.get_credits, 7)
        whmcs.wait_for_calls(1)
        for _ in range(5):
            assert client.get_credits(8).total == 5
        with pytest.raises(WhmcsUnavailable):
            stuck.result()


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_with_glibc_large_buffers_get_their_own_mapping() -> None:
    """Issue 13 §2: several long replies at once fit in 512 MB only when their freed buffers go back to the
    system (measured: benchmarks/hostile.py large_logs); glibc accepts the setting."""
    assert map_large_buffers()


def test_calls_in_flight_share_one_deadline_thread(whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings) -> None:
    """Issue 15: a WHMCS call starts no thread of its own for its deadline (a timer thread per call held
    a burst's calls back behind their thread starts); one watcher thread serves every call in flight, and
    a held call still ends at its deadline."""
    whmcs.hold()
    client = WhmcsClient(HttpTransport(limited(whmcs_settings), pool_size=4))
    try:
        with ThreadPoolExecutor(4) as callers:
            calls = [callers.submit(client.get_credits, client_id) for client_id in (7, 8, 9, 10)]
            assert whmcs.wait_for_calls(4) == 4
            assert not [t for t in threading.enumerate() if isinstance(t, threading.Timer)]
            assert [t.name for t in threading.enumerate()].count("whmcs-deadlines") == 1
            for call in calls:
                with pytest.raises(WhmcsUnavailable) as raised:
                    call.result(timeout=DEADLINE + MARGIN)
                assert raised.value.timed_out
    finally:
        whmcs.release()
