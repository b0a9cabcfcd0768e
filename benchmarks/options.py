"""How long the picker's options take to reach Slack (which drops an answer after 3 s), with WHMCS answering
a search in 0.2 s, 2 s and 5 s: signed block_suggestion requests into the real app, loopback WHMCS and Slack.

    python -m benchmarks.options

Every search is a text not asked before, so each one reaches WHMCS (no minute's reuse); four people type at
once. At 5 s the search's own deadline (2.5 s) answers with the "WHMCS is slow" option. Prints numbers; the
tests assert the behaviour (tests/app/listeners/views/test_picker.py).
"""

from __future__ import annotations

import itertools
import statistics
from concurrent.futures import ThreadPoolExecutor

from bot.settings import WhmcsSettings
from tests.fakes.slack import FakeSlack
from tests.fakes.whmcs import IDENTIFIER, SECRET, FakeWhmcs, client
from tests.slack_harness import BILLING_GROUP, BOB, running_bot

PEOPLE = 4
_texts = itertools.count(1)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(latency: float, searches: int) -> tuple[list[float], int]:
    with FakeWhmcs(latency=latency) as whmcs, FakeSlack(groups={BILLING_GROUP: [BOB]}) as slack:
        for client_id in range(1, 200):
            whmcs.clients[client_id] = client(
                client_id, first=f"Sam{client_id:03d}", email=f"s{client_id}@x.org"
            )
        settings = WhmcsSettings(
            whmcs_url=whmcs.url, whmcs_identifier=IDENTIFIER, whmcs_secret=SECRET, whmcs_timeout=10
        )
        with running_bot(slack, settings, credits_rate_limit=10_000) as bot:
            bot.shortcut()
            view = bot.opened_view()

            def one(_: int) -> tuple[float, str]:
                reply = bot.suggest(view, f"sam{next(_texts):03d}"[:6])
                return reply.seconds, reply.json()["options"][0]["text"]["text"]

            with ThreadPoolExecutor(PEOPLE) as typing:
                results = list(typing.map(one, range(searches)))
    slow = sum(1 for _, text in results if text.startswith("WHMCS is slow"))
    return [seconds for seconds, _ in results], slow


def main() -> None:
    print(f"options latency, {PEOPLE} people typing at once, every search new to WHMCS")
    print("WHMCS search | requests | p50 s | p99 s | max s | 'WHMCS is slow' options")
    for latency, searches in ((0.2, 120), (2.0, 40), (5.0, 16)):
        seconds, slow = measure(latency, searches)
        print(
            f"{latency:>11.1f}s | {len(seconds):>8} | {statistics.median(seconds):.3f} | "
            f"{percentile(seconds, 0.99):.3f} | {max(seconds):.3f} | {slow}"
        )


if __name__ == "__main__":
    main()
