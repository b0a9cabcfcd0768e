"""A hostile WHMCS and hostile clients against the Procfile's web process (issue 13 §1-§3): how long a lookup
takes when WHMCS trickles its reply, the worker's peak memory for a 200 MB reply, a gzip bomb and logs of
200,000 entries, and the
acknowledgement times of signed commands while many slow clients hold connections open.

    python -m benchmarks.hostile [--cases trickle big bomb large slow] [--code DIR]

`--code DIR` serves the bot from another checkout (its Procfile, its `bot` package) with this checkout's
fakes, to measure a version before a change. Prints numbers; the tests assert the behaviour
(tests/whmcs/test_hostile_replies.py, tests/app/test_hostile_whmcs.py, tests/e2e/test_slow_clients.py).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path

import requests

from tests.fakes.slack import FakeSlack
from tests.fakes.whmcs import FakeWhmcs, Reply, credits_reply, entry, php_json
from tests.processes import ROOT, free_port, serving_env, wait_healthy, web_environment
from tests.slack_harness import BotUnderTest, buttons, signed_headers

ANSWER_WAIT_SECONDS = 45.0


@contextmanager
def web_process(code: Path, env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """The Procfile's web line of the checkout `code`, its own `bot` package first on the path."""
    command = next(
        line.removeprefix("web:").strip()
        for line in (code / "Procfile").read_text().splitlines()
        if line.startswith("web:")
    )
    port = free_port()
    environment = web_environment(env, port)
    environment["PYTHONPATH"] = str(code)
    process = subprocess.Popen(
        ["bash", "-c", command],
        cwd=code,
        env=environment,
        text=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process)
        yield process, url
    finally:
        process.terminate()
        process.wait(timeout=40)


def peak_rss_mb(process: subprocess.Popen[str]) -> float:
    """The largest VmHWM among the process and its descendants, in MB (10^6 bytes)."""
    pids = {process.pid}
    for _ in range(3):
        for pid in list(pids):
            with open(f"/proc/{pid}/task/{pid}/children") as children:
                pids.update(int(child) for child in children.read().split())
    peaks = []
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) * 1024 / 1e6)
    return max(peaks)


def command(bot: BotUnderTest, client: int = 42) -> tuple[float, str]:
    """Posts a signed /credits; the seconds until its acknowledgement (inf when none came in 10 s)."""
    started = time.monotonic()
    body, key = bot.command_form(str(client))
    try:
        requests.post(bot.url + "/slack/events", data=body.encode(), headers=signed_headers(body), timeout=10)
    except requests.RequestException:
        return float("inf"), key
    return time.monotonic() - started, key


def time_to_answer(url: str, slack: FakeSlack, client: int = 42) -> tuple[float, str]:
    started = time.monotonic()
    _, key = command(BotUnderTest(url, slack), client)
    posts = slack.wait_for_responses(key, timeout=ANSWER_WAIT_SECONDS)
    took = time.monotonic() - started
    return took, (posts[-1].get("text", "")[:70] if posts else "(no answer)")


def trickle(code: Path) -> None:
    whmcs = FakeWhmcs()
    body = credits_reply(42, [entry(1, "2024-01-01", "Top-up", "10.00")])
    with FakeSlack() as slack, whmcs:
        whmcs.queue(Reply(body, trickle=1.0), Reply(body, trickle=1.0), action=None)
        env = serving_env(slack, whmcs) | {"BOT_CONCURRENCY": "1"}
        with web_process(code, env) as (_, url):
            took, text = time_to_answer(url, slack)
            shown = f"> {ANSWER_WAIT_SECONDS:g}" if took >= ANSWER_WAIT_SECONDS else f"{took:.1f}"
            size = len(php_json(body))
            print(f"trickle (a byte a second, {size} bytes): answered after {shown} s: {text!r}")


def endless_entries(total_bytes: int) -> Callable[[], Iterator[bytes]]:
    """A valid GetCredits reply of about `total_bytes`, sent chunked as it is generated."""
    row = php_json(entry(1, "2024-01-01", "Credit Applied to Invoice #1", "-1.00", relid=1)).encode()
    block = b",".join([row] * 1000)

    def chunks() -> Iterator[bytes]:
        yield b'{"result":"success","clientid":42,"credits":{"credit":[' + row
        sent = 0
        while sent < total_bytes:
            yield b"," + block
            sent += len(block) + 1
        yield b"]}}"

    return chunks


def gzip_bomb(unpacked: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b" " * (1 << 20)
    parts = [packer.compress(block) for _ in range(unpacked // len(block))]
    parts.append(packer.compress(b"{}"))
    parts.append(packer.flush())
    return b"".join(parts)


def memory(code: Path, name: str, reply: Reply) -> None:
    whmcs = FakeWhmcs()
    with FakeSlack() as slack, whmcs:
        whmcs.queue(reply)
        with web_process(code, serving_env(slack, whmcs) | {"WHMCS_TIMEOUT": "60"}) as (process, url):
            idle = peak_rss_mb(process)
            took, text = time_to_answer(url, slack)
            print(f"{name}: peak RSS {peak_rss_mb(process):.0f} MB (idle {idle:.0f}), {took:.1f} s: {text!r}")


def large_logs(code: Path, entries: int = 200_000, batches: tuple[int, ...] = (3, 4)) -> None:
    """Peak RSS for one lookup of a log of `entries` (about 23 MB of JSON) and its CSV export (drawn from
    the kept lookup, no WHMCS call), then for each batch of lookups
    at once (different clients, so each is its own WHMCS call; the fake sends every one the same queued
    log). One process throughout, as in service: the lookups kept for their buttons (up to 200,000 entries)
    stay in memory while the next ones are read, and a peak is the process's high-water mark so far."""
    whmcs = FakeWhmcs()
    description = "Credit Applied to Invoice #{}"
    rows = [entry(n, "2024-01-01", description.format(n), "-1.00", relid=n) for n in range(entries)]
    reply = php_json(credits_reply(42, rows)).encode()  # encoded once: the fake would take seconds each time
    whmcs.queue(*[Reply(reply) for _ in range(1 + sum(batches))])
    env = {"WHMCS_TIMEOUT": "60"}
    with FakeSlack() as slack, whmcs, web_process(code, serving_env(slack, whmcs) | env) as (process, url):
        idle = peak_rss_mb(process)
        bot = BotUnderTest(url, slack)
        started = time.monotonic()
        answer = bot.answer(bot.command("42"), timeout=ANSWER_WAIT_SECONDS)
        took = time.monotonic() - started
        one = peak_rss_mb(process)
        bot.answer(bot.click(buttons(answer)["credits_export"]), timeout=ANSWER_WAIT_SECONDS)
        print(
            f"a log of {entries:,} entries ({len(reply) / 1e6:.0f} MB of JSON): one lookup {took:.1f} s, "
            f"peak RSS {one:.0f} MB (idle {idle:.0f}), {peak_rss_mb(process):.0f} MB with its CSV export",
            flush=True,
        )
        first = 100
        for together in batches:
            with ThreadPoolExecutor(together) as pool:
                clients = range(first, first + together)
                many = list(pool.map(lambda client: time_to_answer(url, slack, client), clients))
            first += together
            print(
                f"  {together} at once: {max(took for took, _ in many):.1f} s, "
                f"peak RSS {peak_rss_mb(process):.0f} MB: {many[-1][1]!r}",
                flush=True,
            )


def slow_clients(code: Path, count: int = 200, commands: int = 10) -> None:
    """`count` connections that never finish a request (a third each: a partial request line, headers a
    byte at a time, a body that never completes), then signed commands one after another."""
    whmcs = FakeWhmcs()
    whmcs.set_credits(42, [entry(1, "2024-01-01", "Top-up", "10.00")])
    stop = threading.Event()
    with FakeSlack() as slack, whmcs, web_process(code, serving_env(slack, whmcs)) as (_, url):
        port = int(url.rsplit(":", 1)[1])
        held = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
        for position, sock in enumerate(held):
            kind = position % 3
            if kind == 0:
                sock.sendall(b"POST /slack/ev")
            elif kind == 2:
                sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\npart")

        def headers_a_byte_at_a_time() -> None:
            header = b"POST /slack/events HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 10_000
            for byte in header:
                for sock in held[1::3]:
                    with suppress(OSError):
                        sock.send(bytes([byte]))
                if stop.wait(0.5):
                    return

        dripping = threading.Thread(target=headers_a_byte_at_a_time, daemon=True)
        dripping.start()
        time.sleep(1)
        acks = [command(BotUnderTest(url, slack))[0] for _ in range(commands)]
        stop.set()
        for sock in held:
            sock.close()
    within = [ack for ack in acks if ack <= 3]
    shown = ", ".join("none" if ack == float("inf") else f"{ack * 1000:.0f}" for ack in acks)
    print(f"{count} slow connections: {len(within)}/{commands} acknowledged within 3 s; ack ms: {shown}")


CASES: dict[str, Callable[[Path], None]] = {
    "trickle": trickle,
    "big": lambda code: memory(code, "a 200 MB reply", Reply(None, chunks=endless_entries(200_000_000))),
    "bomb": lambda code: memory(
        code,
        "a gzip bomb (1 GiB unpacked)",
        Reply(gzip_bomb(1 << 30), headers={"Content-Encoding": "gzip"}),
    ),
    "large": large_logs,
    "slow": slow_clients,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES))
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout to serve (default: this one)")
    args = parser.parse_args()
    print(f"serving {args.code.resolve()} ({os.cpu_count()} cores)")
    for case in args.cases:
        CASES[case](args.code)


if __name__ == "__main__":
    main()
