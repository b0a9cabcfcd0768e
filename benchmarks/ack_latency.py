"""Acknowledgement latency of `/credits` under bursts, against the Procfile's web process.

Starts the web command as a subprocess with a loopback WHMCS answering after `--whmcs-latency` seconds,
sends bursts of signed commands at once, and prints acknowledgement p50/p99/max and how long the burst
took until its last answer arrived, next to WHMCS's own latency.

    python -m benchmarks.ack_latency [--whmcs-latency 2] [--bursts 1 40]
"""

from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

from tests.fakes.slack import FakeSlack
from tests.fakes.whmcs import FakeWhmcs, entry
from tests.processes import procfile_web, serving_env, wait_healthy
from tests.slack_harness import BotUnderTest, Reply


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def burst(bot: BotUnderTest, size: int) -> tuple[list[Reply], float, int]:
    started = time.monotonic()
    with ThreadPoolExecutor(size) as pool:
        replies = list(pool.map(lambda _: bot.command("42"), range(size)))
    answered = sum(1 for reply in replies if bot.slack.wait_for_responses(reply.key, timeout=30))
    return replies, time.monotonic() - started, answered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--whmcs-latency", type=float, default=2.0)
    parser.add_argument("--bursts", type=int, nargs="+", default=[1, 40])
    args = parser.parse_args()

    with FakeSlack() as slack, FakeWhmcs() as whmcs:
        whmcs.set_credits(42, [entry(i, "2024-01-01", f"entry {i}", "1.00") for i in range(1, 40)])
        whmcs.latency = args.whmcs_latency
        with procfile_web(
            serving_env(slack, whmcs) | {"LOG_LEVEL": "WARNING", "CREDITS_RATE_LIMIT": "10000"}
        ) as (process, url):
            startup = wait_healthy(url, process)
            bot = BotUnderTest(url, slack)
            bot.answer(bot.command("42"), timeout=30)
            print(f"web process healthy after {startup:.2f} s; WHMCS latency {args.whmcs_latency:g} s\n")
            columns = [
                "burst",
                "ack p50 ms",
                "ack p99 ms",
                "ack max ms",
                "not acked in 3 s",
                "answered",
                "burst until last answer s",
            ]
            print("| " + " | ".join(columns) + " |")
            print("|" + "---:|" * len(columns))
            for size in args.bursts:
                replies, seconds, answered = burst(bot, size)
                acks = [reply.seconds * 1000 for reply in replies]
                late = sum(1 for reply in replies if reply.status != 200 or reply.seconds >= 3)
                cells = [
                    size,
                    f"{statistics.median(acks):.1f}",
                    f"{percentile(acks, 0.99):.1f}",
                    f"{max(acks):.1f}",
                    late,
                    f"{answered}/{size}",
                    f"{seconds:.2f}",
                ]
                print("| " + " | ".join(map(str, cells)) + " |")


if __name__ == "__main__":
    main()
