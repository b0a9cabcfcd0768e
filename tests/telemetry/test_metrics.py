"""`/metrics`: what Prometheus scrapes from the running app after real commands over HTTP."""

from __future__ import annotations

import requests
from prometheus_client.parser import text_string_to_metric_families

from bot.settings import WhmcsSettings
from tests.fakes.slack import FakeSlack
from tests.fakes.whmcs import FakeWhmcs, Reply, entry, error
from tests.processes import procfile_web, serving_env, wait_healthy
from tests.slack_harness import MALLORY, BotUnderTest, running_bot

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(url: str) -> Samples:
    response = requests.get(url + "/metrics", timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_commands_latencies_and_whmcs_errors_are_counted(bot: BotUnderTest, whmcs: FakeWhmcs) -> None:
    whmcs.set_credits(42, [entry(1, "2024-01-01", "Top-up", "1.00")])
    bot.answer(bot.command("42"))
    bot.command("help")
    bot.command("0")
    bot.answer(bot.command("42", user=MALLORY))
    whmcs.queue(error("Client ID Not Found"))
    bot.answer(bot.command("7"))
    whmcs.queue(error("Authentication Failed", 403))
    bot.answer(bot.command("42"))
    bot.answer(bot.command("42"))

    bot.settle()  # outcomes are counted after the answer is sent, and a lookup leaves the gauge after that
    samples = scrape(bot.url)
    assert value(samples, "credits_commands_total", outcome="whmcs_auth") == 2
    for outcome, count in [("ok", 1), ("help", 1), ("invalid", 1), ("denied", 1), ("not_found", 1)]:
        assert value(samples, "credits_commands_total", outcome=outcome) == count, outcome
    unseen = ("error", "rate_limited", "choices", "exported", "export_failed", "shared", "share_failed")
    for outcome in unseen:
        series = ("credits_commands_total", frozenset({("outcome", outcome)}))
        assert samples[series] == 0, f"{outcome}: known outcomes start at zero"
    assert value(samples, "credits_ack_seconds_count") == 7
    assert value(samples, "credits_ack_seconds_bucket", le="3.0") == 7
    assert value(samples, "credits_whmcs_request_seconds_count", action="GetCredits") == 4
    assert value(samples, "credits_whmcs_errors_total", kind="auth") == 1, "only the login WHMCS refused"
    assert value(samples, "credits_whmcs_errors_total", kind="credentials_paused") >= 2, "calls held back"
    assert ("credits_whmcs_errors_total", frozenset({("kind", "client_not_found")})) not in samples
    assert value(samples, "credits_lookups_in_flight") == 0
    assert value(samples, "process_resident_memory_bytes") > 0


def test_lookups_in_flight_while_whmcs_is_slow(
    slack: FakeSlack, whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings
) -> None:
    whmcs.queue(Reply({"result": "success", "credits": []}, delay=1), Reply({"result": "success"}, delay=3))
    with running_bot(slack, whmcs_settings.model_copy(update={"whmcs_timeout": 1.5})) as bot:
        # A served process proves its credentials with its start's warm-up call; here a picker search does
        # (GetClients), so that neither lookup's GetCredits is the one call that tries them while the other
        # waits for it, and both are at WHMCS together.
        bot.shortcut()
        assert bot.suggest(bot.opened_view(), "jan").status == 200
        first, second = bot.command("42"), bot.command("43")
        assert whmcs.wait_for_calls(2, action="GetCredits") == 2, "both lookups are waiting on WHMCS"
        busy = scrape(bot.url)
        assert value(busy, "credits_lookups_in_flight") == 2
        bot.answer(first)
        bot.answer(second)
        bot.settle()
        idle = scrape(bot.url)
        assert value(idle, "credits_commands_total", outcome="whmcs_unavailable") == 1
    assert value(idle, "credits_lookups_in_flight") == 0
    assert value(idle, "credits_whmcs_errors_total", kind="timeout") == 1
    assert value(idle, "credits_whmcs_request_seconds_bucket", action="GetCredits", le="1.0") == 0
    assert value(idle, "credits_whmcs_request_seconds_bucket", action="GetCredits", le="2.0") == 2


def test_the_web_process_serves_metrics_only_when_enabled(slack: FakeSlack, whmcs: FakeWhmcs) -> None:
    with procfile_web(serving_env(slack, whmcs)) as (process, url):
        wait_healthy(url, process)
        assert requests.get(url + "/metrics", timeout=5).status_code == 404
    with procfile_web(serving_env(slack, whmcs) | {"METRICS_ENABLED": "true"}) as (process, url):
        wait_healthy(url, process)
        BotUnderTest(url, slack).command("help")  # help is counted before its acknowledgement is sent
        samples = scrape(url)
    assert value(samples, "credits_commands_total", outcome="help") == 1
