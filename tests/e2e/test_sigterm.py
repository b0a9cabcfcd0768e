"""SIGTERM to the Procfile's web process, as Heroku sends on every deploy and daily restart."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from typing import Any

import requests

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
    slack: FakeSlack, whmcs: FakeWhmcs, env: dict[str, str]
) -> tuple[subprocess.Popen[str], str, float | None, float]:
    """Start the web line, send one command, SIGTERM the process group while WHMCS is still answering."""
    whmcs.set_credits(42, [entry(1, "2024-01-01", "Top-up", "12.34")])
    with procfile_web(env) as (process, url):
        wait_healthy(url, process)
        reply = BotUnderTest(url, slack).command("42")
        assert reply.status == 200
        assert whmcs.wait_for_calls(1) >= 1, "the lookup never reached WHMCS"
        signalled = time.monotonic()
        os.killpg(process.pid, signal.SIGTERM)
        refused = refused_within(url, timeout=2)
        process.wait(timeout=30)
        return process, reply.key, refused, time.monotonic() - signalled


def test_sigterm_lets_the_lookup_in_flight_answer_then_exits_0(slack: FakeSlack, whmcs: FakeWhmcs) -> None:
    whmcs.latency = 3
    process, key, refused, exit_seconds = sigterm_during_lookup(slack, whmcs, serving_env(slack, whmcs))
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
    whmcs.latency = 8
    env = serving_env(slack, whmcs) | {"GUNICORN_CMD_ARGS": "--graceful-timeout 3"}
    process, key, _, exit_seconds = sigterm_during_lookup(slack, whmcs, env)
    stdout = process.stdout.read() if process.stdout else ""
    assert process.returncode == 0
    assert exit_seconds < 6
    assert slack.responses.get(key) is None
    abandoned = [line for line in log_events(stdout) if line["event"] == "lookups_abandoned"]
    assert [line["lookups"] for line in abandoned] == [1]
