"""Parse speed of big GetCredits replies: body bytes to a totalled CreditLog, as a lookup does it.

Times `decode_reply` (JSON to entries, read as they are decoded, as HttpTransport does for GetCredits) and
`credit_log` (sorted, totals computed) for logs of 10,000, 50,000 and 200,000 entries, the memory the parsed
log holds, and the peak of memory while it is parsed (Python's allocations, tracemalloc). Target (issue 15): a
50,000-entry reply in under 300 ms.

    python -m benchmarks.parse [--sizes 10000 50000 200000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import tracemalloc
from decimal import Decimal

from benchmarks.render import whmcs_reply
from bot.core.credits import CreditLog
from bot.core.whmcs_replies import credit_log
from bot.whmcs.transport import ROW_HOOKS, decode_reply

TARGET_MS = {50_000: 300}


def parse(body: bytes) -> CreditLog:
    log = credit_log(decode_reply(bytearray(body), 200, ROW_HOOKS["GetCredits"]), 1)
    log.total  # noqa: B018 - the totals are part of the work a lookup does
    return log


def median_ms(body: bytes, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        parse(body)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def held_mb(body: bytes) -> tuple[float, float]:
    """What the parsed log keeps alive once the decoded JSON is gone, and the peak while parsing (the body
    excluded: a lookup's own copy is emptied as it becomes text)."""
    gc.collect()
    tracemalloc.start()
    log = parse(body)
    gc.collect()
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert log.total == sum((entry.amount or Decimal(0) for entry in log.entries), Decimal(0))
    return held / 1e6, peak / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description="Parse speed of big GetCredits replies")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 200_000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print("| entries | JSON MB | median parse ms | target ms | parsed log MB | peak while parsing MB |")
    print("|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        body = whmcs_reply(size)
        target = TARGET_MS.get(size)
        held, peak = held_mb(body)
        print(
            f"| {size:,} | {len(body) / 1e6:.1f} | {median_ms(body, args.repeat):.0f} | "
            f"{target if target else '-'} | {held:.1f} | {peak:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
