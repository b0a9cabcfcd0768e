"""Two processes that share one Redis spend one budget of refused logins: WHMCS never bans the server.

Each "process" is its own WhmcsClient, CredentialsBreaker and Redis connection, as two dynos would have;
they share only the Redis server, the loopback WHMCS and a fake clock (wall time, as in production).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from bot.core.errors import WhmcsAuthError, WhmcsCredentialsPaused, WhmcsIpBanned
from bot.core.login_budget import WINDOW_SECONDS
from bot.settings import WhmcsSettings
from bot.state.login_ledger import RedisLoginLedger
from bot.whmcs.client import WhmcsClient
from bot.whmcs.credentials import CredentialsBreaker
from bot.whmcs.transport import HttpTransport
from tests.fakes.clock import FakeClock
from tests.fakes.slack import FakeSlack
from tests.fakes.whmcs import BANNED, SECRET, FakeWhmcs, entry, error
from tests.redis_server import redis_server
from tests.slack_harness import running_bot

MINUTE = 60.0


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    with redis_server(tmp_path) as url:
        yield url


@pytest.fixture
def banning_whmcs(whmcs: FakeWhmcs, clock: FakeClock) -> FakeWhmcs:
    whmcs.clock, whmcs.bans_after = clock, 3
    whmcs.set_credits(42, [entry(1, "2024-01-01", "Top-up", "2.00")])
    return whmcs


def process(
    settings: WhmcsSettings, redis_url: str, clock: FakeClock
) -> tuple[WhmcsClient, CredentialsBreaker]:
    breaker = CredentialsBreaker(
        HttpTransport(settings), RedisLoginLedger(redis.Redis.from_url(redis_url)), clock=clock
    )
    return WhmcsClient(breaker), breaker


def lookup_at_once(clients: list[WhmcsClient]) -> list[str]:
    """Each process looks client 42 up at the same moment; what each got."""
    outcomes = [""] * len(clients)

    def one(index: int) -> None:
        try:
            outcomes[index] = f"{clients[index].get_credits(42).count} entries"
        except WhmcsCredentialsPaused:
            outcomes[index] = "paused"
        except WhmcsAuthError:
            outcomes[index] = "refused"

    threads = [threading.Thread(target=one, args=(index,)) for index in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return outcomes


def test_two_hours_of_wrong_credentials_in_two_processes_never_get_the_server_banned(
    banning_whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings, redis_url: str, clock: FakeClock
) -> None:
    banning_whmcs.secret = "regenerated-in-whmcs"  # the bot's secret is now wrong
    (web, web_breaker), (worker, _) = (process(whmcs_settings, redis_url, clock) for _ in range(2))
    start = clock()
    while clock() - start < 120 * MINUTE:
        lookup_at_once([web, worker, web, worker])
        clock.advance(MINUTE / 2)
    refusals = banning_whmcs.refused_logins
    assert len(refusals) >= 5, "the bot kept trying, within the budget"
    for first, third in zip(refusals, refusals[2:], strict=False):
        assert third - first >= WINDOW_SECONDS, "never 3 refused logins within 30 minutes"
    assert not banning_whmcs.ever_banned

    banning_whmcs.secret = SECRET  # an admin fixed the credentials
    resumes = web_breaker.resumes_at()
    assert resumes is not None, "still paused until the next allowed attempt"
    assert lookup_at_once([web, worker]) == ["paused", "paused"]
    refused_before = len(refusals)
    while web_breaker.resumes_at() is not None:
        clock.advance(MINUTE / 2)
    assert lookup_at_once([web]) == ["1 entries"], "the next allowed attempt works"
    assert lookup_at_once([web, worker, web, worker]) == ["1 entries"] * 4, "and every process works again"
    assert len(banning_whmcs.refused_logins) == refused_before
    assert not banning_whmcs.ever_banned


def test_without_the_budget_whmcs_would_have_banned_the_server(
    banning_whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings, clock: FakeClock
) -> None:
    """The fake bans as WHMCS does: three refused logins within 30 minutes (what the budget prevents)."""
    banning_whmcs.secret = "wrong"
    bare = WhmcsClient(HttpTransport(whmcs_settings))
    for _ in range(3):
        with pytest.raises(WhmcsAuthError):
            bare.get_credits(42)
        clock.advance(5 * MINUTE)
    assert banning_whmcs.ever_banned
    banning_whmcs.secret = SECRET
    with pytest.raises(WhmcsIpBanned):
        bare.get_credits(42)


def test_in_slack_a_second_process_pauses_for_the_first_ones_refusal_and_says_until_when(
    slack: FakeSlack,
    banning_whmcs: FakeWhmcs,
    whmcs_settings: WhmcsSettings,
    redis_url: str,
    clock: FakeClock,
) -> None:
    banning_whmcs.secret = "regenerated-in-whmcs"
    with (
        running_bot(slack, whmcs_settings, clock=clock, redis_url=redis_url) as web,
        running_bot(slack, whmcs_settings, clock=clock, redis_url=redis_url) as worker,
    ):
        first = web.answer(web.command("42"))
        second = worker.answer(worker.command("43"))
    assert first["text"].startswith("WHMCS rejected the bot's API credentials; tell a WHMCS administrator.")
    assert re.fullmatch(
        r"WHMCS rejected the bot's API credentials; tell a WHMCS administrator\. To avoid WHMCS banning this "
        r"server, the bot will not ask WHMCS again before \d\d:\d\d UTC\.",
        second["text"],
    )
    assert len(banning_whmcs.refused_logins) == 1, "the first lookup's first call, its others waited for it"
    assert all(call.get("clientid") != "43" for call in banning_whmcs.calls), (
        "the other process asked nothing"
    )


def test_in_slack_a_ban_says_who_lifts_it(
    slack: FakeSlack, whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings
) -> None:
    whmcs.queue(error(BANNED, status=403))
    with running_bot(slack, whmcs_settings) as bot:
        answer = bot.answer(bot.command("42"))
    assert answer["text"] == (
        "WHMCS has banned this server's IP address, which locks out every API user of this server; a "
        "WHMCS administrator lifts the ban under Banned IPs (the API IP allow-list does not help)."
    )


def test_the_first_lookup_after_a_start_tries_wrong_credentials_once_not_with_each_call(
    slack: FakeSlack, banning_whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings, clock: FakeClock
) -> None:
    """A lookup sends GetCredits, GetClientsDetails and (cold) GetCurrencies together: with credentials
    nobody has seen accepted, three refused logins at once would be WHMCS's ban. One goes, the rest wait."""
    banning_whmcs.secret = "regenerated-in-whmcs"
    with running_bot(slack, whmcs_settings, clock=clock) as bot:
        answer = bot.answer(bot.command("42"))
    assert answer["text"].startswith("WHMCS rejected the bot's API credentials")
    assert len(banning_whmcs.calls) == 1
    assert len(banning_whmcs.refused_logins) == 1
    assert banning_whmcs.banned_until is None


def test_once_the_credentials_are_proven_a_lookup_sends_its_calls_together(
    slack: FakeSlack, banning_whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings, clock: FakeClock
) -> None:
    with running_bot(slack, whmcs_settings, clock=clock) as bot:
        bot.answer(bot.command("42"))
        banning_whmcs.latency, banning_whmcs.most_in_flight = 0.3, 0
        bot.answer(bot.command("42"))
    assert banning_whmcs.most_in_flight >= 2
    assert banning_whmcs.refused_logins == []
