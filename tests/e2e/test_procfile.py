"""The Procfile's web command as Heroku runs it: a subprocess bound to $PORT, answering signed commands."""

from __future__ import annotations

import pytest

from tests.fakes.slack import FakeSlack
from tests.fakes.whmcs import FakeWhmcs, entry
from tests.processes import procfile_web, serving_env, shell_process, wait_healthy
from tests.slack_harness import BotUnderTest, all_text
from tests.waiting import until


def test_web_line_serves_signed_commands(slack: FakeSlack, whmcs: FakeWhmcs) -> None:
    whmcs.set_credits(42, [entry(1, "2024-01-01", "Top-up", "12.34")])
    with procfile_web(serving_env(slack, whmcs)) as (process, url):
        wait_healthy(url, process)
        bot = BotUnderTest(url, slack)
        reply = bot.command("42")
        assert reply.status == 200
        answer = bot.answer(reply)
        assert "`12.34`" in answer["blocks"][1]["fields"][0]["text"]
        forged = bot.command("42", secret="wrong")
        assert forged.status == 401


def test_the_web_worker_proves_the_credentials_before_the_first_lookup(
    slack: FakeSlack, whmcs: FakeWhmcs
) -> None:
    """Issue 12 section 8 and issue 15 section 2: the worker asks WHMCS for the currencies once it serves
    (after gunicorn's fork), so that the first lookup finds the credentials proven and the currencies
    cached, and sends its two calls together: one WHMCS round trip."""
    whmcs.set_credits(42, [entry(1, "2024-01-01", "Top-up", "12.34")])
    with procfile_web(serving_env(slack, whmcs)) as (process, url):
        wait_healthy(url, process)
        assert whmcs.wait_for_calls(1, action="GetCurrencies") == 1, "the worker's warm-up call"
        until(lambda: whmcs.in_flight == 0, "the warm-up answered")
        whmcs.latency, whmcs.most_in_flight = 0.5, 0
        bot = BotUnderTest(url, slack)
        assert "`12.34`" in all_text(bot.answer(bot.command("42")))
    assert [call["action"] for call in whmcs.calls[:1]] == ["GetCurrencies"]
    assert len(whmcs.actions("GetCurrencies")) == 1, "the lookup found them cached"
    assert whmcs.most_in_flight == 2, "GetCredits and GetClientsDetails together"


def test_web_line_refuses_to_start_without_an_allow_rule(slack: FakeSlack, whmcs: FakeWhmcs) -> None:
    env = serving_env(slack, whmcs)
    env["CREDITS_ALLOWED_USERS"] = ""
    with procfile_web(env) as (process, _):
        process.wait(timeout=30)
        stderr = process.stderr.read() if process.stderr else ""
    assert process.returncode == 2
    assert "CREDITS_ALLOWED_USERS" in stderr and "CREDITS_ALLOWED_USERGROUPS" in stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize("secret", [None, ""])
def test_web_line_refuses_to_start_without_a_signing_secret(
    slack: FakeSlack, whmcs: FakeWhmcs, secret: str | None
) -> None:
    env = serving_env(slack, whmcs)
    if secret is None:
        del env["SLACK_SIGNING_SECRET"]
    else:
        env["SLACK_SIGNING_SECRET"] = secret
    with procfile_web(env) as (process, _):
        process.wait(timeout=30)
        stderr = process.stderr.read() if process.stderr else ""
    assert process.returncode == 2
    assert stderr.startswith("credits-bot: configuration error: SLACK_SIGNING_SECRET is not set")
    assert len(stderr.splitlines()) == 1


def test_serve_demo_answers_from_the_sample_data_without_whmcs_settings(
    slack: FakeSlack, whmcs: FakeWhmcs
) -> None:
    env = {key: value for key, value in serving_env(slack, whmcs).items() if not key.startswith("WHMCS_")}
    with shell_process("python -m bot serve --demo", env) as (process, url):
        wait_healthy(url, process)
        bot = BotUnderTest(url, slack)
        assert "2 clients match 'acme'" in bot.answer(bot.command("acme"))["text"]
        assert "Jane Doe (Acme Ltd)" in bot.answer(bot.command("1"))["text"]
    assert whmcs.calls == []
