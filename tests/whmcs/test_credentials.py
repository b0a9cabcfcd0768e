"""After WHMCS refuses the bot's credentials, WHMCS is left alone for 5 minutes (it bans after 3 failures)."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest

from bot.core import login_budget
from bot.core.errors import ClientNotFound, WhmcsAuthError, WhmcsCredentialsPaused, WhmcsUnavailable
from bot.core.whmcs_replies import reported_error
from bot.settings import WhmcsSettings
from bot.state.login_ledger import MemoryLoginLedger
from bot.whmcs.client import WhmcsClient
from bot.whmcs.credentials import CREDENTIALS_PAUSE_SECONDS, CredentialsBreaker
from bot.whmcs.transport import HttpTransport
from tests.fakes.clock import FakeClock
from tests.fakes.slack import FakeSlack
from tests.fakes.whmcs import FakeWhmcs, Reply, credits_reply, entry, error
from tests.slack_harness import running_bot

REFUSED = error("Authentication Failed", status=403)


def proven() -> MemoryLoginLedger:
    """A record in which WHMCS has accepted the credentials, as after the bot's first answer."""
    ledger = MemoryLoginLedger()
    ledger.update(lambda record: (None, login_budget.accepted(record)))
    return ledger


def guarded_client(settings: WhmcsSettings, clock: FakeClock) -> WhmcsClient:
    return WhmcsClient(CredentialsBreaker(HttpTransport(settings), clock=clock))


def test_a_refused_login_pauses_every_action_without_any_request(
    whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    whmcs.queue(REFUSED)
    client = guarded_client(whmcs_settings, clock)
    refused_at = datetime.now(UTC)
    with caplog.at_level(logging.INFO, logger="bot.whmcs"), pytest.raises(WhmcsAuthError) as first:
        client.get_credits(42)
    assert not isinstance(first.value, WhmcsCredentialsPaused)
    clock.advance(CREDENTIALS_PAUSE_SECONDS - 60)
    with pytest.raises(WhmcsCredentialsPaused) as paused:
        client.get_credits(42)
    with pytest.raises(WhmcsCredentialsPaused):
        client.call("GetClients", "acme", search="acme")
    with pytest.raises(WhmcsCredentialsPaused):
        client.call("GetCurrencies", "")
    assert len(whmcs.calls) == 1
    expected = datetime.now(UTC) + timedelta(seconds=60)
    assert abs((paused.value.resumes_at - expected).total_seconds()) < 5
    assert paused.value.message == "Authentication Failed"
    assert "not calling WHMCS again before" in str(paused.value)
    pauses = [record for record in caplog.records if record.getMessage() == "whmcs_credentials_paused"]
    assert len(pauses) == 1
    assert pauses[0].levelno == logging.WARNING
    fields = dict(pauses[0].fields)  # type: ignore[attr-defined]
    resumes_at = datetime.strptime(fields.pop("resumes_at"), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert fields == {
        "action": "GetCredits",
        "whmcs_message": "Authentication Failed",
        "pause_s": 300,
        "refusals_in_a_row": 1,
    }
    assert abs((resumes_at - refused_at - timedelta(seconds=300)).total_seconds()) < 5, "when, in UTC"


def test_after_the_pause_one_call_tries_again_and_success_closes_the_breaker(
    whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    whmcs.set_credits(42, [entry(1, "2024-01-01", "Top-up", "1.00")])
    whmcs.queue(REFUSED)
    client = guarded_client(whmcs_settings, clock)
    with pytest.raises(WhmcsAuthError):
        client.get_credits(42)
    clock.advance(CREDENTIALS_PAUSE_SECONDS)
    with caplog.at_level(logging.INFO, logger="bot.whmcs"):
        assert client.get_credits(42).count == 1
    assert client.get_credits(42).count == 1
    assert len(whmcs.calls) == 3
    assert "whmcs_credentials_accepted" in [record.getMessage() for record in caplog.records]


def test_a_refused_retry_pauses_again_for_the_full_time(
    whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    whmcs.queue(REFUSED, REFUSED)
    client = guarded_client(whmcs_settings, clock)
    with caplog.at_level(logging.INFO, logger="bot.whmcs"):
        with pytest.raises(WhmcsAuthError):
            client.get_credits(1)
        clock.advance(CREDENTIALS_PAUSE_SECONDS + 1)
        with pytest.raises(WhmcsAuthError) as retried:
            client.get_credits(1)
    assert not isinstance(retried.value, WhmcsCredentialsPaused)
    clock.advance(CREDENTIALS_PAUSE_SECONDS - 1)
    with pytest.raises(WhmcsCredentialsPaused):
        client.get_credits(1)
    assert len(whmcs.calls) == 2
    paused = [record for record in caplog.records if record.getMessage() == "whmcs_credentials_paused"]
    assert len(paused) == 2


def test_an_answer_other_than_a_refused_login_means_the_credentials_work(
    whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings, clock: FakeClock
) -> None:
    whmcs.queue(REFUSED)
    client = guarded_client(whmcs_settings, clock)
    with pytest.raises(WhmcsAuthError):
        client.get_credits(404)
    clock.advance(CREDENTIALS_PAUSE_SECONDS)
    with pytest.raises(ClientNotFound):
        client.get_credits(404)
    with pytest.raises(ClientNotFound):
        client.get_credits(404)
    assert len(whmcs.calls) == 3


def test_no_answer_during_the_retry_lets_the_next_call_try(
    whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings, clock: FakeClock
) -> None:
    whmcs.set_credits(5, [])
    bad_gateway = Reply("<html>Bad gateway</html>", status=502, content_type="text/html")
    whmcs.queue(REFUSED, bad_gateway, bad_gateway)
    client = guarded_client(whmcs_settings, clock)
    with pytest.raises(WhmcsAuthError):
        client.get_credits(5)
    clock.advance(CREDENTIALS_PAUSE_SECONDS)
    with pytest.raises(WhmcsUnavailable):
        client.get_credits(5)
    assert client.get_credits(5).count == 0


def test_while_one_call_tries_again_the_others_stay_paused(
    whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings, clock: FakeClock
) -> None:
    whmcs.set_credits(1, [])
    whmcs.queue(REFUSED)
    client = guarded_client(whmcs_settings, clock)
    with pytest.raises(WhmcsAuthError):
        client.get_credits(1)
    clock.advance(CREDENTIALS_PAUSE_SECONDS)
    whmcs.hold()
    probe = threading.Thread(target=client.get_credits, args=(1,))
    probe.start()
    assert whmcs.wait_for_calls(2) == 2, "the probe is at WHMCS, not answered yet"
    with pytest.raises(WhmcsCredentialsPaused):
        client.get_credits(2)
    whmcs.release()
    probe.join(5)
    assert [call["clientid"] for call in whmcs.calls] == ["1", "1"]


def test_a_success_sent_before_the_refusal_does_not_end_the_pause(
    whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings, clock: FakeClock
) -> None:
    success_sent = threading.Event()
    whmcs.queue(Reply(credits_reply(1, []), gate=success_sent), REFUSED)
    breaker = CredentialsBreaker(HttpTransport(whmcs_settings), proven(), clock=clock)
    slow = threading.Thread(target=breaker, args=("GetCredits", {"clientid": "1"}))
    slow.start()
    assert whmcs.wait_for_calls(1) == 1, "the success is on its way, not answered yet"
    assert reported_error(breaker("GetCredits", {"clientid": "2"}), "GetCredits", "2") is not None
    success_sent.set()
    slow.join(5)
    with pytest.raises(WhmcsCredentialsPaused):
        breaker("GetCredits", {"clientid": "3"})
    assert len(whmcs.calls) == 2


def test_a_transport_that_raises_the_refusal_itself_trips_the_breaker(clock: FakeClock) -> None:
    calls: list[str] = []

    def refusing(action: str, fields: dict[str, str]) -> object:
        calls.append(action)
        raise WhmcsAuthError("Authentication Failed")

    breaker = CredentialsBreaker(refusing, clock=clock)
    with pytest.raises(WhmcsAuthError):
        breaker("GetCredits", {})
    with pytest.raises(WhmcsCredentialsPaused):
        breaker("GetCredits", {})
    assert calls == ["GetCredits"]


def test_in_slack_the_second_person_is_told_without_asking_whmcs(
    slack: FakeSlack, whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings, clock: FakeClock
) -> None:
    whmcs.queue(REFUSED, REFUSED, REFUSED)
    with running_bot(slack, whmcs_settings, clock=clock) as bot:
        first = bot.answer(bot.command("42"))
        second = bot.answer(bot.command("43"))
    # The first lookup's other calls wait for the one proving the credentials: a call of theirs may be
    # that one, and then the lookup says when the bot asks again.
    assert first["text"].startswith("WHMCS rejected the bot's API credentials; tell a WHMCS administrator.")
    assert second["text"].startswith(
        "WHMCS rejected the bot's API credentials; tell a WHMCS administrator. To avoid WHMCS banning this "
        "server, the bot will not ask WHMCS again before "
    )
    assert len(whmcs.actions("GetCredits")) == 1
    # The first lookup's GetClientsDetails (and, on a cold cache, GetCurrencies) run beside its GetCredits
    # and may reach WHMCS before or after the refusal: what matters is that nothing was asked for the
    # second person's client.
    assert [call.get("clientid") for call in whmcs.calls if call["action"] != "GetCurrencies"] == ["42"] * (
        len(whmcs.calls) - len(whmcs.actions("GetCurrencies"))
    )
    assert {call["action"] for call in whmcs.calls} <= {"GetCredits", "GetClientsDetails", "GetCurrencies"}
