"""SIGTERM to the Procfile's web process, as Heroku sends on every deploy and daily restart."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from bot.core.messages import RESTARTED
from tests.fakes.slack import FakeSlack
from tests.fakes.whmcs import FakeWhmcs, entry
from tests.processes import procfile_web, serving_env, wait_healthy
from tests.slack_harness import BotUnderTest


def refused_within(url: str, timeout: float) -> float | None:
    """Seconds until the server refuses connections, or None if it still accepted them after `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            requests.get(url + "/healthz", timeout=0.5)
        except requests.ConnectionError:
            return time.monotonic() - started
        time.sleep(0.05)
    return None


def log_events(output: str) -> list[dict[str, Any]]:
    """The operator's log lines (the audit trail's own lines have no `event`)."""
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [line for line in lines if "event" in line]


def sigterm_during_lookup(
    slack: FakeSlack, whmcs: FakeWhmcs, env: dict[str, str], latency: float
) -> tuple[subprocess.Popen[str], str, float | None, float]:
    """Start the web line, send one command that WHMCS answers after `latency` seconds, SIGTERM the process
    group while WHMCS is still answering. WHMCS turns slow once the process serves: the start's warm-up
    call is not what these tests are about, and a slow one would only add its wait to each of them."""
    whmcs.set_credits(42, [entry(1, "2024-01-01", "Top-up", "12.34")])
    with procfile_web(env) as (process, url):
        wait_healthy(url, process)
        whmcs.latency = latency
        reply = BotUnderTest(url, slack).command("42")
        assert reply.status == 200
        assert whmcs.wait_for_calls(1, action="GetCredits") == 1, "the lookup never reached WHMCS"
        signalled = time.monotonic()
        os.killpg(process.pid, signal.SIGTERM)
        refused = refused_within(url, timeout=2)
        process.wait(timeout=30)
        return process, reply.key, refused, time.monotonic() - signalled


def test_sigterm_lets_the_lookup_in_flight_answer_then_exits_0(slack: FakeSlack, whmcs: FakeWhmcs) -> None:
    process, key, refused, exit_seconds = sigterm_during_lookup(slack, whmcs, serving_env(slack, whmcs), 3)
    stdout = process.stdout.read() if process.stdout else ""
    assert process.returncode == 0
    assert refused is not None and refused < 2, "new requests are refused while the lookup finishes"
    answers = slack.responses.get(key, [])
    assert [answer["text"] for answer in answers] == ["Credits of client #42: 1 entries, total 12.34"]
    assert 2 < exit_seconds < 10
    events = [line["event"] for line in log_events(stdout)]
    assert events.index("draining_lookups") < events.index("command") < events.index("lookups_drained")
    assert "lookups_abandoned" not in events


def test_a_lookup_slower_than_the_graceful_timeout_does_not_hold_the_exit(
    slack: FakeSlack, whmcs: FakeWhmcs
) -> None:
    env = serving_env(slack, whmcs) | {"GUNICORN_CMD_ARGS": "--graceful-timeout 3"}
    process, key, _, exit_seconds = sigterm_during_lookup(slack, whmcs, env, 8)
    stdout = process.stdout.read() if process.stdout else ""
    assert process.returncode == 0
    assert exit_seconds < 6
    assert [answer["text"] for answer in slack.responses.get(key, [])] == [RESTARTED]
    abandoned = [line for line in log_events(stdout) if line["event"] == "lookups_abandoned"]
    assert [line["lookups"] for line in abandoned] == [1]
    assert [record["outcome"] for record in audit_records(stdout)] == ["interrupted"]


def audit_records(output: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [line for line in lines if "event" not in line]


def test_sigterm_into_a_hundred_slow_lookups_tells_every_person(slack: FakeSlack, whmcs: FakeWhmcs) -> None:
    """Heroku's restart 1 s into 100 lookups that WHMCS answers slowly: each person gets their answer or
    "the bot restarted", and each has an audit record, before the process exits."""
    clients = range(100, 200)
    for number in clients:
        whmcs.set_credits(number, [entry(1, "2024-01-01", "Top-up", "1.00")])
    env = serving_env(slack, whmcs) | {
        # A drain of 8 s, the last 2 of them for telling: lookups get 6 s, three WHMCS round trips, so that
        # some finish even on a loaded machine. A lookup needs both its calls answered, and 32 lookups'
        # 64 calls compete for 8 connections in no particular order: with two round trips, none finished
        # in 2 of about 10 full runs (with one, none did once in CI).
        "GUNICORN_CMD_ARGS": "--graceful-timeout 10",
        "CREDITS_RATE_LIMIT": "1000",
        "BOT_CONCURRENCY": "4",
    }
    with procfile_web(env) as (process, url), ThreadPoolExecutor(16) as senders:
        wait_healthy(url, process)
        whmcs.latency = 2  # once the start's warm-up call has been answered
        bot = BotUnderTest(url, slack)
        replies = list(senders.map(lambda number: bot.command(str(number)), clients))
        assert all(reply.json()["text"].startswith("Looking up") for reply in replies)
        # The restart comes while the lookups run, as Heroku's does (not during the start's warm-up call).
        assert whmcs.wait_for_calls(1, action="GetCredits") >= 1
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        stdout = process.stdout.read() if process.stdout else ""
    told = {reply.key: [answer["text"] for answer in slack.responses.get(reply.key, [])] for reply in replies}
    answered = [key for key, texts in told.items() if texts and texts[0].startswith("Credits of client")]
    restarted = [key for key, texts in told.items() if texts == [RESTARTED]]
    assert all(len(texts) == 1 for texts in told.values()), "one message per person, none left waiting"
    assert len(answered) + len(restarted) == 100
    assert answered and restarted, "some finished in the drain's time, the rest were told"
    outcomes = Counter(record["outcome"] for record in audit_records(stdout))
    assert outcomes == {"ok": len(answered), "interrupted": len(restarted)}
    assert process.returncode == 0
    print(f"SIGTERM into 100 lookups: {len(answered)} answered, {len(restarted)} told the bot restarted")
