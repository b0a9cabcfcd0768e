"""Builds the Bolt app from settings and services; nothing here runs at import time."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from slack_bolt import App
from slack_sdk import WebClient

from bot import settings as config
from bot.access import AccessPolicy, GroupMembership
from bot.audit import Auditor, configure_audit_log
from bot.blocks import AdminLinks
from bot.demo import DEMO_SETTINGS, demo_transport
from bot.limits import RateLimiter, SlidingWindowLimiter
from bot.listeners import credit_actions, credits_command
from bot.logs import configure
from bot.lookups import Lookups
from bot.metrics import Metrics
from bot.services import Services
from bot.settings import ConfigurationError, SlackSettings, WhmcsSettings
from bot.shared_state import MemoryStore, RedisRateLimiter, RedisStore, Store, connect
from bot.slack_responses import ResponseUrlPoster
from bot.whmcs import HttpTransport, WhmcsClient

logger = logging.getLogger(__name__)
SLACK_TIMEOUT_SECONDS = 5


def slack_client(settings: SlackSettings) -> WebClient:
    return WebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=SLACK_TIMEOUT_SECONDS,
    )


def audit_poster(client: WebClient, channel: str | None) -> Callable[[str], None] | None:
    if channel is None:
        return None

    def post(text: str) -> None:
        client.chat_postMessage(channel=channel, text=text, unfurl_links=False, unfurl_media=False)

    return post


def shared_state(slack: SlackSettings) -> tuple[Store, RateLimiter]:
    """Redis when REDIS_URL is set, so that every web process shares one limit and one cache."""
    if slack.redis_url is None:
        return MemoryStore(), SlidingWindowLimiter(slack.credits_rate_limit)
    client = connect(
        slack.redis_url.get_secret_value(),
        verify_tls=slack.redis_verify_tls,
        pool_size=2 * slack.bot_concurrency + 16,
    )
    return RedisStore(client), RedisRateLimiter(client, slack.credits_rate_limit)


def build_services(
    slack: SlackSettings, whmcs: WhmcsSettings | None, client: WebClient, metrics: Metrics
) -> Services:
    """`whmcs=None` answers from the bundled demo data.

    Side calls (client details next to the credit log, audit channel posts) get their own pool of the same
    size as the lookup pool, so a lookup never waits for a thread that another lookup holds.
    """

    def group_members(group: str) -> frozenset[str]:
        response = client.usergroups_users_list(usergroup=group)
        return frozenset(response.get("users") or ())

    whmcs_settings = whmcs or DEMO_SETTINGS
    transport = demo_transport if whmcs is None else HttpTransport(whmcs, pool_size=2 * slack.bot_concurrency)
    side_calls = ThreadPoolExecutor(slack.bot_concurrency, thread_name_prefix="whmcs-side")
    store, limiter = shared_state(slack)
    return Services(
        lookups=Lookups(WhmcsClient(transport, observe=metrics.whmcs_call), side_calls, store),
        policy=AccessPolicy(
            users=frozenset(slack.credits_allowed_users),
            groups=tuple(slack.credits_allowed_usergroups),
            channels=frozenset(slack.credits_allowed_channels),
        ),
        membership=GroupMembership(group_members, store),
        links=AdminLinks(whmcs_settings.admin_base),
        whmcs_timeout=whmcs_settings.whmcs_timeout,
        allow_share=slack.credits_allow_share,
        answer=ResponseUrlPoster(slack.bot_concurrency),
        audit=Auditor(audit_poster(client, slack.audit_channel), side_calls),
        limiter=limiter,
        metrics=metrics,
    )


def create_app(
    settings: SlackSettings, services: Services, client: WebClient, *, socket_mode: bool = False
) -> App:
    """Acknowledge in the request thread (process_before_response) and look up on a pool of
    BOT_CONCURRENCY threads, so that slow WHMCS answers never delay an acknowledgement.

    The same app serves HTTP and Socket Mode. Over HTTP every request must carry Slack's signature; in
    Socket Mode requests arrive on the WebSocket the app-level token opened, and there is nothing to sign.
    """
    settings.require_allow_rule()
    app = App(
        client=client,
        signing_secret="" if socket_mode else settings.signing_secret(),
        request_verification_enabled=not socket_mode,
        process_before_response=True,
        token_verification_enabled=False,
        listener_executor=ThreadPoolExecutor(settings.bot_concurrency, thread_name_prefix="lookup"),
        logger=logging.getLogger("slack_bolt"),
    )
    credits_command.register(app, services)
    credit_actions.register(app, services)
    return app


@dataclass(frozen=True)
class ServedApp:
    settings: SlackSettings
    app: App
    metrics: Metrics

    @property
    def exposed_metrics(self) -> Metrics | None:
        """What `/metrics` serves: nothing unless METRICS_ENABLED."""
        return self.metrics if self.settings.metrics_enabled else None


def start_app(demo: bool, *, socket_mode: bool) -> ServedApp:
    """What the HTTP server and Socket Mode both start with: settings, logging, app, in that order.

    A configuration error ends the process with one line and exit status 2, before any port is bound or
    connection opened. `demo` answers from the bundled sample data, without WHMCS settings.
    """
    try:
        slack = config.load(SlackSettings)
        if socket_mode:
            slack.app_token()
        else:
            slack.signing_secret()
        slack.require_allow_rule()
        whmcs = None if demo else config.load(WhmcsSettings)
    except ConfigurationError as error:
        config.exit_with(error)
    configure(slack.log_level, json_lines=slack.log_json)
    configure_audit_log()
    client = slack_client(slack)
    metrics = Metrics()
    app = create_app(slack, build_services(slack, whmcs, client, metrics), client, socket_mode=socket_mode)
    return ServedApp(slack, app, metrics)
