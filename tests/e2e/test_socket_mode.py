"""The Procfile's worker line, `python -m bot socket`, against a loopback Slack and its Socket Mode socket."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

import pytest
import requests

from bot.core.messages import RESTARTED
from tests.fakes.slack import APP_TOKEN, FakeSlack
from tests.fakes.socket_mode import FakeSocketMode
from tests.fakes.whmcs import FakeWhmcs, entry
from tests.processes import procfile_process, serving_env, wait_healthy
from tests.slack_harness import BotUnderTest
from tests.waiting import until

UNAVAILABLE = (200, {"ok": False, "error": "internal_error"})


@pytest.fixture
def socket_mode(slack: FakeSlack) -> Iterator[FakeSocketMode]:
    with FakeSocketMode() as server:
        slack.socket_url = server.url
        yield server


def socket_env(slack: FakeSlack, whmcs: FakeWhmcs, **extra: str) -> dict[str, str]:
    env = serving_env(slack, whmcs) | {"SLACK_APP_TOKEN": APP_TOKEN} | extra
    del env["SLACK_SIGNING_SECRET"]
    return env


def ended(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.wait(timeout=30)
    return process.returncode, process.stderr.read() if process.stderr else ""


def test_commands_over_the_socket_get_the_same_answers(
    slack: FakeSlack, whmcs: FakeWhmcs, socket_mode: FakeSocketMode
) -> None:
    whmcs.set_credits(42, [entry(1, "2024-01-01", "Top-up", "12.34")])
    slack.methods["apps.connections.open"] = lambda args: UNAVAILABLE
    with procfile_process("worker", socket_env(slack, whmcs, METRICS_ENABLED="true")) as (process, url):
        wait_healthy(url, process, status=503)
        assert requests.get(url + "/healthz", timeout=2).text == "not connected to Slack\n"

        del slack.methods["apps.connections.open"]
        assert socket_mode.wait_connected(), "the bot did not retry after Slack was unavailable"
        wait_healthy(url, process)

        bot = BotUnderTest(url, slack)
        form, key = bot.command_form("42")
        ack, seconds = socket_mode.wait_for_ack(socket_mode.send_command(dict(parse_qsl(form))))
        assert ack["payload"] == {
            "text": "Looking up the credits of client #42…",
            "response_type": "ephemeral",
        }
        assert seconds < 3
        answer: dict[str, Any] = slack.wait_for_responses(key)[-1]
        assert "`12.34`" in answer["blocks"][1]["fields"][0]["text"]

        help_form, _ = bot.command_form("help")
        help_ack, _ = socket_mode.wait_for_ack(socket_mode.send_command(dict(parse_qsl(help_form))))
        assert "*/credits* shows" in help_ack["payload"]["text"]
        assert 'credits_commands_total{outcome="help"} 1.0' in requests.get(url + "/metrics", timeout=2).text

        slack.methods["apps.connections.open"] = lambda args: UNAVAILABLE
        socket_mode.disconnect_all()
        wait_healthy(url, process, status=503, timeout=30)

        process.send_signal(signal.SIGTERM)
        code, stderr = ended(process)
    assert code == 0
    assert "Traceback" not in stderr


def test_sigterm_lets_a_lookup_in_flight_answer_before_the_worker_exits(
    slack: FakeSlack, whmcs: FakeWhmcs, socket_mode: FakeSocketMode
) -> None:
    whmcs.set_credits(42, [entry(1, "2024-01-01", "Top-up", "12.34")])
    with procfile_process("worker", socket_env(slack, whmcs)) as (process, url):
        wait_healthy(url, process)
        whmcs.latency = 5.0  # once the start's warm-up call has been answered
        form, key = BotUnderTest(url, slack).command_form("42")
        socket_mode.wait_for_ack(socket_mode.send_command(dict(parse_qsl(form))))
        process.send_signal(signal.SIGTERM)
        code, _ = ended(process)
        logged = process.stdout.read() if process.stdout else ""
    assert code == 0
    assert "`12.34`" in slack.wait_for_responses(key, timeout=1)[-1]["blocks"][1]["fields"][0]["text"]
    assert "lookups_drained" in logged, "the lookup outlasted closing the socket and was waited for"


def test_sigterm_tells_the_people_whose_lookups_outlast_the_drain(
    slack: FakeSlack, whmcs: FakeWhmcs, socket_mode: FakeSocketMode
) -> None:
    """30 lookups of 8 s each on 8 lookup threads (BOT_CONCURRENCY=1): the drain's 23 s answer some, the
    people of the others (running or not started) are told the bot restarted, each with an audit record."""
    clients = range(100, 130)
    for number in clients:
        whmcs.set_credits(number, [entry(1, "2024-01-01", "Top-up", "1.00")])
    env = socket_env(slack, whmcs, BOT_CONCURRENCY="1", CREDITS_RATE_LIMIT="1000")
    with procfile_process("worker", env) as (process, url):
        wait_healthy(url, process)
        # A worker has long finished its start's warm-up call when people ask: so does this one.
        until(
            lambda: bool(whmcs.actions("GetCurrencies")) and whmcs.in_flight == 0,
            "the warm-up answered",
            timeout=20,
        )
        whmcs.latency = 8.0
        bot = BotUnderTest(url, slack)
        keys = []
        for number in clients:
            form, key = bot.command_form(str(number))
            socket_mode.wait_for_ack(socket_mode.send_command(dict(parse_qsl(form))))
            keys.append(key)
        process.send_signal(signal.SIGTERM)
        code, _ = ended(process)
        logged = process.stdout.read() if process.stdout else ""
    told = [[answer["text"] for answer in slack.responses.get(key, [])] for key in keys]
    restarted = [texts for texts in told if texts == [RESTARTED]]
    answered = [texts for texts in told if len(texts) == 1 and texts[0].startswith("Credits of client")]
    assert len(answered) + len(restarted) == len(keys), "one message each, nobody left waiting"
    assert answered and restarted
    records = [json.loads(line) for line in logged.splitlines() if line.startswith("{")]
    outcomes = sorted(record["outcome"] for record in records if "event" not in record)
    assert outcomes == sorted(["ok"] * len(answered) + ["interrupted"] * len(restarted))
    assert code == 0


def test_without_an_app_token_it_stops_with_one_line(slack: FakeSlack, whmcs: FakeWhmcs) -> None:
    env = socket_env(slack, whmcs)
    del env["SLACK_APP_TOKEN"]
    with procfile_process("worker", env) as (process, _):
        code, stderr = ended(process)
    assert code == 2
    assert stderr.startswith("credits-bot: configuration error: SLACK_APP_TOKEN is not set")
    assert len(stderr.splitlines()) == 1


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("xoxb-a-bot-token-by-mistake", "SLACK_APP_TOKEN must be an app-level token (xapp-...)"),
        ("xapp-revoked-token-5678", "Slack refused SLACK_APP_TOKEN (invalid_auth)"),
    ],
)
def test_a_wrong_app_token_stops_with_one_line_and_never_shows_it(
    slack: FakeSlack, whmcs: FakeWhmcs, token: str, message: str
) -> None:
    with procfile_process("worker", socket_env(slack, whmcs, SLACK_APP_TOKEN=token)) as (process, _):
        code, stderr = ended(process)
        stdout = process.stdout.read() if process.stdout else ""
    assert code == 2
    assert message in stderr
    assert stderr.strip().splitlines()[-1].startswith("credits-bot: configuration error:")
    assert token not in stderr + stdout
    assert "Traceback" not in stderr


def test_a_port_in_use_stops_it_with_one_line(slack: FakeSlack, whmcs: FakeWhmcs) -> None:
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with procfile_process("worker", socket_env(slack, whmcs, PORT=str(port))) as (process, _):
            code, stderr = ended(process)
    assert code == 2
    assert (
        stderr
        == f"credits-bot: configuration error: cannot serve /healthz on PORT {port}: Address already in use\n"
    )
