"""Start-up in-process: which services are built for demo or WHMCS, memory or Redis, and a configuration
error that ends the start before anything is served."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bot.app.bootstrap import build_services, start_app
from bot.app.services import Services
from bot.core.commands import BySearch
from bot.settings import SlackSettings, WhmcsSettings
from bot.slack.web_api import slack_client
from bot.state.limits import RedisRateLimiter, SlidingWindowLimiter
from bot.state.memory import MemoryStore
from bot.state.redis_store import RedisStore
from bot.telemetry.metrics import Metrics
from tests.fakes.slack import FakeSlack
from tests.fakes.whmcs import FakeWhmcs
from tests.processes import free_port
from tests.slack_harness import slack_settings


@contextmanager
def built(settings: SlackSettings, whmcs: WhmcsSettings | None = None) -> Iterator[Services]:
    services = build_services(settings, whmcs, slack_client(settings), Metrics())
    try:
        yield services
    finally:
        services.close()


def test_the_demo_answers_from_the_bundled_data_in_memory(slack: FakeSlack) -> None:
    with built(slack_settings(slack, credits_rate_limit=5)) as services:
        assert services.links.admin_base == "https://billing.example.com/admin"
        assert isinstance(services.recent, MemoryStore)
        assert isinstance(services.limiter, SlidingWindowLimiter) and services.limiter.limit == 5
        assert services.whmcs_status.paused_until is None
        options = services.picker.options(BySearch("acme"), lambda: None)
        assert [option["value"] for option in options] == ["1", "4"]
        assert services.whmcs_status.last_answered is not None, "the demo's answers count as WHMCS's"


def test_with_whmcs_settings_the_services_ask_that_whmcs(
    slack: FakeSlack, whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings
) -> None:
    with built(slack_settings(slack, credits_allow_share=False), whmcs_settings) as services:
        assert services.links.admin_base == whmcs_settings.admin_base
        assert services.whmcs_timeout == whmcs_settings.whmcs_timeout
        assert not services.allow_share
        services.picker.options(BySearch("jane"), lambda: None)
    assert len(whmcs.actions("GetClients")) == 1


def test_with_redis_the_limit_and_caches_are_shared(slack: FakeSlack) -> None:
    settings = slack_settings(slack, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    with built(settings) as services:
        assert isinstance(services.recent, RedisStore)
        assert isinstance(services.limiter, RedisRateLimiter)


def test_a_socket_mode_start_without_an_app_token_ends_with_status_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    monkeypatch.setenv("CREDITS_ALLOWED_USERS", "U0ALICE")
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    with pytest.raises(SystemExit) as ended:
        start_app(demo=True, socket_mode=True)
    assert ended.value.code == 2
    assert capsys.readouterr().err.startswith("credits-bot: configuration error:")


def test_an_http_start_with_nobody_allowed_ends_with_status_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    monkeypatch.delenv("CREDITS_ALLOWED_USERS", raising=False)
    monkeypatch.delenv("CREDITS_ALLOWED_USERGROUPS", raising=False)
    with pytest.raises(SystemExit) as ended:
        start_app(demo=True, socket_mode=False)
    assert ended.value.code == 2
    assert "nobody may use /credits" in capsys.readouterr().err
