"""Rendering speed for long logs: one Slack page and the whole CSV of a 10,000-entry credit log.

Also times normalising the 10,000-entry GetCredits reply itself, which every page click repeats.

    python -m benchmarks.render [--entries 10000] [--repeat 50]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from bot.core.blocks import AdminLinks, credit_log_message
from bot.core.clients import Currency
from bot.core.credits import CreditLog
from bot.core.csv_export import credit_log_csv
from bot.core.views import CreditView
from bot.core.whmcs_replies import credit_log
from bot.whmcs.transport import decode_reply
from tests.fakes.whmcs import credits_reply, entry


def whmcs_reply(count: int) -> bytes:
    rng = random.Random(8)
    day = date(2010, 1, 1)
    entries: list[dict[str, Any]] = []
    for entry_id in range(1, count + 1):
        day += timedelta(days=rng.randint(0, 1))
        entries.append(
            entry(
                entry_id,
                day.isoformat(),
                f"Credit Applied to Invoice #{entry_id}",
                Decimal(rng.randint(-99999, 99999)).scaleb(-2),
            )
        )
    return json.dumps(credits_reply(1, entries)).encode()


def timed(work: Callable[[], object], repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), max(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description="Rendering speed for long credit logs")
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()

    body = whmcs_reply(args.entries)
    log = credit_log(decode_reply(body, 200), 1)
    assert log.complete and log.total == sum((entry.amount or 0 for entry in log.entries), Decimal(0))
    links = AdminLinks("https://billing.example.com/admin")
    usd = Currency(1, "USD", "$", " USD", 2)
    middle = (args.entries // 2) // 20 * 20

    def page(offset: int) -> object:
        """A fresh log each time, as after a click: its totals are computed again, not cached."""
        return credit_log_message(
            CreditView(CreditLog(log.client_id, log.entries), offset=offset, currency=usd), links
        )

    fresh = max(5, args.repeat // 5)
    rows = [
        ("normalise GetCredits reply", timed(lambda: credit_log(decode_reply(body, 200), 1), fresh), None),
        ("render first page", timed(lambda: page(0), args.repeat), 50),
        ("render a middle page", timed(lambda: page(middle), args.repeat), 50),
        ("whole CSV", timed(lambda: credit_log_csv(CreditLog(log.client_id, log.entries)), fresh), 200),
    ]
    print(f"{args.entries:,} entries ({len(body) / 1e6:.1f} MB of JSON)\n")
    print("| step | median ms | max ms | target ms |")
    print("|---|---:|---:|---:|")
    for name, (median, worst), target in rows:
        print(f"| {name} | {median:.1f} | {worst:.1f} | {target if target else '-'} |")


if __name__ == "__main__":
    main()
