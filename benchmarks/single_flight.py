"""Does coalescing through Redis (`RedisSingleFlight`) still pay, now that buttons answer from the kept view?

Two "processes" (two `WhmcsClient`s, each with its own HTTP pool, as two web dynos have) ask a loopback WHMCS
for the same client's log, either coalescing through one real redis-server or each on its own
(`SingleFlight`, per process). Two cases:

- **one lookup**, nobody else asking: what the Redis round trips and publishing the reply cost every
  lookup (the reply is encoded to JSON and written to Redis; WHMCS answers at once);
- **both processes at once**, the same client, WHMCS answering after `--whmcs-latency` s: WHMCS calls
  made, and the time until both have their log (the follower polls Redis and decodes the reply).

For logs of 25, 10,000 and 50,000 entries (the fake's reply encoded once, beforehand); median of `--runs`
(and of half as many runs for both at once). Prints a table; about 30 s.

    python -m benchmarks.single_flight [--runs 5] [--whmcs-latency 2]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from bot.core.ports import Flights
from bot.settings import WhmcsSettings
from bot.state.redis_store import RedisBreaker, connect
from bot.state.single_flight import SingleFlight
from bot.whmcs.client import WhmcsClient
from bot.whmcs.transport import HttpTransport
from tests.fakes.whmcs import IDENTIFIER, SECRET, FakeWhmcs, Reply, credits_reply, entry, php_json
from tests.processes import ROOT
from tests.redis_server import redis_server

SIZES = (25, 10_000, 50_000)
CLIENT = 42
BEFORE = "de23bbd"
"""The last commit with `RedisSingleFlight`, which issue 15 dropped on these numbers: the benchmark loads
the class from there (git show), so the comparison can be run again."""


def redis_single_flight() -> Any:
    """`RedisSingleFlight` as it was at BEFORE."""
    source = subprocess.run(
        ["git", "show", f"{BEFORE}:bot/state/single_flight.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    module = types.ModuleType("single_flight_before")
    sys.modules[module.__name__] = module  # its dataclasses look their module up
    exec(compile(source, f"{BEFORE}:bot/state/single_flight.py", "exec"), module.__dict__)  # noqa: S102 (our own code, from git)
    return module.RedisSingleFlight


def answer_with(whmcs: FakeWhmcs, body: bytes, calls: int) -> None:
    """The next `calls` GetCredits get `body`, encoded once here, so that the fake's own JSON encoding (in
    this process) does not weigh on what is measured; what is left over is dropped."""
    with whmcs.lock:
        whmcs.queued = [("GetCredits", Reply(body))] * calls


def clients(
    whmcs: FakeWhmcs, flights: Callable[[], Flights]
) -> tuple[list[WhmcsClient], list[HttpTransport]]:
    settings = WhmcsSettings(whmcs_url=whmcs.url, whmcs_identifier=IDENTIFIER, whmcs_secret=SECRET)
    transports = [HttpTransport(settings, pool_size=4) for _ in range(2)]
    return [WhmcsClient(transport, flights=flights()) for transport in transports], transports


def together(processes: list[WhmcsClient]) -> float:
    """Both ask at the same instant; seconds until the second has its log."""
    gate = threading.Barrier(len(processes))
    errors: list[BaseException] = []

    def ask(process: WhmcsClient) -> None:
        gate.wait()
        try:
            process.get_credits(CLIENT)
        except BaseException as error:
            errors.append(error)

    started = time.monotonic()
    threads = [threading.Thread(target=ask, args=(process,)) for process in processes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit(f"a lookup failed: {errors[0]!r}")
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--whmcs-latency", type=float, default=2.0)
    args = parser.parse_args()
    rows = [
        "| entries | coalescing | one lookup ms | both at once: WHMCS calls | both at once: last log s |",
        "|---:|---|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory() as folder, redis_server(Path(folder)) as url, FakeWhmcs() as whmcs:
        redis_client = connect(url, verify_tls=True, pool_size=8)
        breaker = RedisBreaker()
        redis_flight = redis_single_flight()
        ways: dict[str, Callable[[], Flights]] = {
            "per process": SingleFlight,
            "Redis (before)": lambda: cast(
                Flights, redis_flight(redis_client, wait_seconds=6.0, breaker=breaker)
            ),
        }
        for size in SIZES:
            rows_of = [entry(n, "2024-01-01", f"Credit #{n}", "1.00") for n in range(1, size + 1)]
            body = php_json(credits_reply(CLIENT, rows_of)).encode()
            for name, flights in ways.items():
                processes, transports = clients(whmcs, flights)
                whmcs.latency = 0.0
                answer_with(whmcs, body, 1 + args.runs)
                processes[0].get_credits(CLIENT)  # connections opened, code warm
                single = []
                for _ in range(args.runs):
                    started = time.monotonic()
                    processes[0].get_credits(CLIENT)
                    single.append(time.monotonic() - started)
                whmcs.latency = args.whmcs_latency
                calls, lasts = [], []
                for _ in range(max(1, args.runs // 2)):
                    before = len(whmcs.actions("GetCredits"))
                    answer_with(whmcs, body, 2)
                    lasts.append(together(processes))
                    calls.append(len(whmcs.actions("GetCredits")) - before)
                for transport in transports:
                    transport.close()
                rows.append(
                    f"| {size:,} | {name} | {statistics.median(single) * 1000:.0f} | "
                    f"{statistics.median(calls):g} | {statistics.median(lasts):.2f} |"
                )
                print(rows[-1], flush=True)
        failing = "yes" if breaker.failing else "no"
    print("\n".join(["", *rows, "", f"Redis breaker open at the end (a command over 0.25 s): {failing}"]))


if __name__ == "__main__":
    main()
