"""Builds the Bolt app from settings and services; nothing here runs at import time."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient
from slack_sdk.http_retry import (
    ConnectionErrorRetryHandler,
    HttpRequest,
    HttpResponse,
    RateLimitErrorRetryHandler,
    RetryState,
)

from bot import settings as config
from bot.access import AccessPolicy, GroupMembership
from bot.audit import Auditor, configure_audit_log
from bot.blocks import AdminLinks
from bot.commands import whole_number
from bot.demo import DEMO_SETTINGS, demo_transport
from bot.limits import RateLimiter, SlidingWindowLimiter
from bot.listeners import credit_actions, credits_command
from bot.logs import configure
from bot.lookup_pool import LookupPool
from bot.lookups import Lookups
from bot.metrics import Metrics
from bot.services import Services
from bot.settings import ConfigurationError, SlackSettings, WhmcsSettings
from bot.shared_state import MemoryStore, RedisRateLimiter, RedisSingleFlight, RedisStore, Store, connect
from bot.slack_responses import ResponseUrlPoster
from bot.slack_web import PooledWebClient
from bot.whmcs import CredentialsBreaker, Flights, HttpTransport, Transport, WhmcsClient

logger = logging.getLogger(__name__)
SLACK_TIMEOUT_SECONDS = 5
SLACK_LONGEST_RETRY_AFTER = 3


class ShortRateLimitRetry(RateLimitErrorRetryHandler):
    """Waits out Slack's 429 once, and only when its Retry-After is short.

    The wait happens on a lookup thread while a person waits for an answer, so a Retry-After of up to
    SLACK_LONGEST_RETRY_AFTER seconds is worth waiting (slack_sdk adds up to a second of jitter); a longer
    one, or one that is not a number of seconds, fails at once and the caller falls back (group membership
    uses its cached answer, or denies).
    """

    def __init__(self, longest_wait: int = SLACK_LONGEST_RETRY_AFTER) -> None:
        super().__init__(max_retry_count=1)
        self.longest_wait = longest_wait

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = retry_after_seconds(response.headers)
        return wait is not None and wait <= self.longest_wait


def retry_after_seconds(headers: Mapping[str, str | list[str]]) -> int | None:
    """Retry-After as whole seconds (the only form Slack sends); None when absent or unreadable."""
    for name, value in headers.items():
        if name.lower() == "retry-after":
            values = [value] if isinstance(value, str) else value
            text = values[0].strip() if values else ""
            return whole_number(text)
    return None


def slack_client(settings: SlackSettings) -> WebClient:
    """A Web API client with a keep-alive pool, that retries a refused connection once and a short rate
    limit once. Listeners use this one (from Services), not the client Bolt builds for each request."""
    return PooledWebClient(
        pool_size=settings.bot_concurrency,
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=SLACK_TIMEOUT_SECONDS,
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=1), ShortRateLimitRetry()],
    )


def audit_poster(client: WebClient, channel: str | None) -> Callable[[str], None] | None:
    if channel is None:
        return None

    def post(text: str) -> None:
        client.chat_postMessage(channel=channel, text=text, unfurl_links=False, unfurl_media=False)

    return post


@dataclass(frozen=True)
class SharedState:
    store: Store
    limiter: RateLimiter
    flights: Flights | None = None


def shared_state(slack: SlackSettings, whmcs_timeout: float) -> SharedState:
    """Redis when REDIS_URL is set, so that every web process shares one limit, one cache and its lookups
    in flight; otherwise each process keeps its own."""
    if slack.redis_url is None:
        return SharedState(MemoryStore(), SlidingWindowLimiter(slack.credits_rate_limit))
    client = connect(
        slack.redis_url.get_secret_value(),
        verify_tls=slack.redis_verify_tls,
        pool_size=2 * slack.bot_concurrency + 16,
    )
    longest_call = 2.5 * whmcs_timeout + 1
    return SharedState(
        RedisStore(client),
        RedisRateLimiter(client, slack.credits_rate_limit),
        RedisSingleFlight(client, wait_seconds=longest_call),
    )


def build_services(
    slack: SlackSettings,
    whmcs: WhmcsSettings | None,
    client: WebClient,
    metrics: Metrics,
    clock: Callable[[], float] = time.time,
) -> Services:
    """`whmcs=None` answers from the bundled demo data. `clock` times the WHMCS credentials pause and the
    membership cache (wall time: with Redis, processes compare each other's timestamps).

    Side calls (client details next to the credit log, audit channel posts) get their own pool of the same
    size as the lookup pool, so a lookup never waits for a thread that another lookup holds.
    """

    def group_members(group: str) -> frozenset[str]:
        response = client.usergroups_users_list(usergroup=group)
        return frozenset(response.get("users") or ())

    whmcs_settings = whmcs or DEMO_SETTINGS
    transport: Transport = demo_transport
    if whmcs is not None:
        http = HttpTransport(whmcs, pool_size=2 * slack.bot_concurrency)
        transport = CredentialsBreaker(http, clock=clock)
    side_calls = ThreadPoolExecutor(slack.lookup_threads, thread_name_prefix="whmcs-side")
    shared = shared_state(slack, whmcs_settings.whmcs_timeout)
    whmcs_client = WhmcsClient(transport, observe=metrics.whmcs_call, flights=shared.flights)
    return Services(
        lookups=Lookups(whmcs_client, side_calls, shared.store),
        policy=AccessPolicy(
            users=frozenset(slack.credits_allowed_users),
            groups=tuple(slack.credits_allowed_usergroups),
            channels=frozenset(slack.credits_allowed_channels),
        ),
        membership=GroupMembership(group_members, shared.store, clock=clock),
        links=AdminLinks(whmcs_settings.admin_base),
        whmcs_timeout=whmcs_settings.whmcs_timeout,
        allow_share=slack.credits_allow_share,
        answer=ResponseUrlPoster(slack.bot_concurrency),
        audit=Auditor(audit_poster(client, slack.audit_channel), side_calls),
        limiter=shared.limiter,
        slack=client,
        metrics=metrics,
    )


def create_app(
    settings: SlackSettings,
    services: Services,
    *,
    socket_mode: bool = False,
    pool: LookupPool | None = None,
) -> App:
    """Acknowledge in the request thread (process_before_response) and look up on a pool of
    BOT_CONCURRENCY threads, so that slow WHMCS answers never delay an acknowledgement.

    The same app serves HTTP and Socket Mode. Over HTTP every request must carry Slack's signature; in
    Socket Mode requests arrive on the WebSocket the app-level token opened, and there is nothing to sign.
    Pass `pool` to be able to drain it at shutdown.

    Authorization is the bot token from settings, known without asking Slack. With only a token, Bolt would
    call `auth.test` on the first request after every start, in the request thread and before the
    acknowledgement, and again on every request while Slack's Web API failed.
    """
    settings.require_allow_rule()
    authorized = AuthorizeResult(
        enterprise_id=None, team_id=None, bot_token=settings.slack_bot_token.get_secret_value()
    )
    app = App(
        client=services.slack,
        authorize=lambda **_: authorized,
        signing_secret="" if socket_mode else settings.signing_secret(),
        request_verification_enabled=not socket_mode,
        process_before_response=True,
        listener_executor=pool or LookupPool(settings.lookup_threads),
        logger=logging.getLogger("slack_bolt"),
    )
    app.middleware(refuse_incomplete_commands)
    credits_command.register(app, services)
    credit_actions.register(app, services)
    return app


def refuse_incomplete_commands(body: dict[str, Any], next_: Callable[[], None]) -> BoltResponse | None:
    """Slack names the person and the channel in every slash command; a signed command without them is
    malformed, and gets a 400 rather than reaching a listener that relies on them.
    """
    if "command" in body and not (body.get("user_id") and body.get("channel_id")):
        return BoltResponse(status=400, body="a command needs user_id and channel_id")
    next_()
    return None


@dataclass(frozen=True)
class ServedApp:
    settings: SlackSettings
    app: App
    metrics: Metrics
    pool: LookupPool

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
    secrets = [*slack.secret_values(), *(whmcs.secret_values() if whmcs else [])]
    configure(slack.log_level, json_lines=slack.log_json, secrets=secrets)
    configure_audit_log()
    client = slack_client(slack)
    metrics = Metrics()
    pool = LookupPool(slack.lookup_threads)
    services = build_services(slack, whmcs, client, metrics)
    app = create_app(slack, services, socket_mode=socket_mode, pool=pool)
    return ServedApp(slack, app, metrics, pool)
