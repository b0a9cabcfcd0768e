"""Issue 13 §3: slow or idle clients on the public port cannot delay a signed command's acknowledgement,
against the Procfile's web process; and a client that takes too long to send its request is cut off."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from bot.serve.waitress_worker import REQUEST_SECONDS
from tests.fakes.slack import FakeSlack
from tests.fakes.whmcs import FakeWhmcs, entry
from tests.processes import procfile_web, serving_env, wait_healthy
from tests.slack_harness import BotUnderTest

SLOW_CLIENTS = 200
SLACK_ACK_SECONDS = 3.0

KINDS = {
    "idle": b"",
    "partial request line": b"POST /slack/ev",
    "headers a byte at a time": b"",
    "a body that never completes": (
        b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 5000\r\n\r\ncommand=%2Fcredits"
    ),
}


@contextmanager
def slow_clients(port: int, count: int) -> Iterator[dict[str, list[socket.socket]]]:
    """`count` connections, a quarter of each kind; the byte-at-a-time ones drip a header byte every 0.2 s
    (never ending it) until the block ends."""
    names = list(KINDS)
    held: dict[str, list[socket.socket]] = {name: [] for name in names}
    stop = threading.Event()
    with ExitStack() as stack:
        for position in range(count):
            name = names[position % len(names)]
            sock = stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=5))
            if KINDS[name]:
                sock.sendall(KINDS[name])
            held[name].append(sock)

        def drip() -> None:
            header = b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nX-Slow: " + b"a" * 100_000
            for byte in header:
                for sock in held["headers a byte at a time"]:
                    try:
                        sock.send(bytes([byte]))
                    except OSError:
                        continue  # cut off by the server: what the last part of the test expects
                if stop.wait(0.2):
                    return

        dripping = threading.Thread(target=drip, daemon=True)
        dripping.start()
        try:
            yield held
        finally:
            stop.set()
            dripping.join(5)


def closed_by_server(sock: socket.socket, within: float) -> bool:
    sock.settimeout(within)
    try:
        while sock.recv(4096):
            pass  # a 408 or 400 answer, then the close
    except TimeoutError:
        return False
    except OSError:
        return True
    return True


def test_slow_and_idle_clients_do_not_delay_acknowledgements(slack: FakeSlack, whmcs: FakeWhmcs) -> None:
    whmcs.set_credits(42, [entry(1, "2024-01-01", "Top-up", "12.34")])
    with procfile_web(serving_env(slack, whmcs)) as (process, url):
        wait_healthy(url, process)
        bot = BotUnderTest(url, slack)
        with slow_clients(int(url.rsplit(":", 1)[1]), SLOW_CLIENTS) as held:
            replies = [bot.command("42") for _ in range(10)]
            assert [reply.status for reply in replies] == [200] * 10
            assert max(reply.seconds for reply in replies) < SLACK_ACK_SECONDS
            assert "`12.34`" in bot.answer(replies[-1])["blocks"][1]["fields"][0]["text"]
            for name, socks in held.items():
                assert closed_by_server(socks[0], REQUEST_SECONDS + 5), f"{name}: still open"
