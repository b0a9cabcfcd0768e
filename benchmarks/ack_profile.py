"""Where an acknowledgement's time goes under a burst: py-spy samples the Procfile's web process.

Starts credits-bot as `benchmarks.load` does (loopback WHMCS and Slack), warms it, then records the
worker with py-spy (`--threads`: every thread's stack, 100 samples a second) while a burst of signed
`/credits` commands, each for a different client, is acknowledged and looked up. Prints the share of
samples in the request threads (waitress's, which send the acknowledgements) against the rest (lookups,
side calls, answers), within the request threads the share under each step that matters, and for both
kinds the innermost frames of ours, Bolt's and gunicorn's that hold most samples; writes the collapsed
stacks to benchmarks/results/ack-profile.txt for a flame graph. py-spy pauses the process for each
sample, so the acknowledgement times it prints are far slower than benchmarks.load's: compare shares.

    python -m benchmarks.ack_profile [--burst 200] [--whmcs-latency 2] [--bot-concurrency 200]
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.load import (
    FIRST_BURST_CLIENT,
    RATE_LIMIT,
    SERVERS,
    WARM_UP_BURST,
    TimedSlack,
    percentile,
    process_tree,
    running,
    send_burst,
)
from tests.fakes.whmcs import FakeWhmcs, client, entry
from tests.processes import serving_env
from tests.slack_harness import BotUnderTest

RESULTS = Path(__file__).parent / "results"
MARKERS = (
    ("Bolt: request verification", "verify"),
    ("Bolt: middleware and listener matching", "_run_listener"),
    ("our acknowledgement (parse, access, limit, ack)", "acknowledge_credits"),
    ("Bolt: copying the request for the lazy listener", "_build_lazy_request"),
    ("Bolt: parsing the body", "parse_body"),
    ("logging", "logging/__init__.py"),
    ("the gate", "gate.py"),
)
OWN_FRAMES = r"\((bot|slack_bolt|slack_sdk|gunicorn|waitress)/"
REQUEST_THREAD = re.compile(r"ThreadWorker\.handle|\(waitress/task\.py")
"""The request threads: gunicorn's gthread worker before issue 13, waitress's task threads since."""


def innermost(stack: str) -> str:
    """The innermost frame of ours, Bolt's, slack_sdk's or gunicorn's in a collapsed stack."""
    frames = [frame for frame in stack.split(";") if re.search(OWN_FRAMES, frame)]
    return frames[-1] if frames else "(elsewhere)"


def summarise(stacks: Path) -> list[str]:
    """Share of samples per thread kind, and per step and innermost frame among the request threads."""
    steps: collections.Counter[str] = collections.Counter()
    frames: collections.Counter[str] = collections.Counter()
    elsewhere: collections.Counter[str] = collections.Counter()
    totals: collections.Counter[str] = collections.Counter()
    for line in stacks.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        kind = "request" if REQUEST_THREAD.search(stack) else "other"
        totals[kind] += count
        if kind != "request":
            elsewhere[innermost(stack)] += count
        if kind == "request":
            frames[innermost(stack)] += count
            for name, marker in MARKERS:
                if marker in stack:
                    steps[name] += count
    everything = sum(totals.values()) or 1
    request_total = totals["request"] or 1
    lines = [
        f"samples: {everything}; request threads {totals['request'] / everything:.0%}, "
        f"lookups and everything else {totals['other'] / everything:.0%}",
        "within the request threads, by step:",
        *(f"  {steps[name] / request_total:6.1%}  {name}" for name, _ in MARKERS),
        "within the request threads, innermost frame of ours, Bolt's or gunicorn's:",
        *(f"  {count / request_total:6.1%}  {frame}" for frame, count in frames.most_common(12)),
        "in the other threads (lookups, side calls, answers), innermost frame of ours, Bolt's or gunicorn's:",
        *(f"  {count / (totals['other'] or 1):6.1%}  {frame}" for frame, count in elsewhere.most_common(12)),
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--whmcs-latency", type=float, default=2.0)
    parser.add_argument("--bot-concurrency", type=int, default=32)
    args = parser.parse_args()
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    with TimedSlack() as slack, FakeWhmcs() as whmcs:
        for client_id in range(1, FIRST_BURST_CLIENT + args.burst):
            whmcs.clients[client_id] = client(client_id, email=f"client{client_id}@example.com")
            rows = [entry(n, f"2024-01-{n:02d}", f"Credit #{n}", "1.00") for n in (1, 2)]
            whmcs.set_credits(client_id, rows)
        whmcs.latency = args.whmcs_latency
        env = serving_env(slack, whmcs) | {
            "CREDITS_RATE_LIMIT": RATE_LIMIT,
            "BOT_CONCURRENCY": str(args.bot_concurrency),
        }
        with running(SERVERS[0], env) as (process, url, _), tempfile.TemporaryDirectory() as scratch:
            bot = BotUnderTest(url, slack)
            warm = send_burst(bot, range(1, WARM_UP_BURST + 1))
            slack.arrival_times([command.key for command in warm], time.monotonic() + 60)
            worker = process_tree(process.pid)[-1]
            stacks = Path(scratch) / "stacks.txt"
            recorder = subprocess.Popen(
                [
                    *(spy, "record", "--pid", str(worker), "--threads", "--rate", "100", "--format", "raw"),
                    *("--output", str(stacks), "--duration", str(round(args.whmcs_latency + 3))),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(1.0)  # py-spy attaches before the burst starts
            sent = send_burst(bot, range(FIRST_BURST_CLIENT, FIRST_BURST_CLIENT + args.burst))
            recorder.wait(timeout=60)
            acks = sorted(command.seconds for command in sent)
            RESULTS.mkdir(exist_ok=True)
            shutil.copy(stacks, RESULTS / "ack-profile.txt")
            print(
                f"burst {args.burst}, WHMCS {args.whmcs_latency:g} s, BOT_CONCURRENCY={args.bot_concurrency}"
                f" (under py-spy): ack p50 {percentile(acks, 0.5) * 1000:.0f} ms,"
                f" p99 {percentile(acks, 0.99) * 1000:.0f} ms"
            )
            print("\n".join(summarise(stacks)))


if __name__ == "__main__":
    main()
