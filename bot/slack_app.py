"""Builds the Bolt app from settings and services; nothing here runs at import time."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry import (
    ConnectionErrorRetryHandler,
    HttpRequest,
    HttpResponse,
    RateLimitErrorRetryHandler,
    RetryState,
)

from bot.access import AccessPolicy, GroupMembership
from bot.demo import DEMO_SETTINGS, demo_transport
from bot.listeners import credits_command
from bot.lookup_pool import LookupPool
from bot.services import Services
from bot.settings import SlackSettings, WhmcsSettings
from bot.whmcs import CredentialsBreaker, HttpTransport, Transport, WhmcsClient

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
            return int(text) if text.isdigit() else None
    return None


def slack_client(settings: SlackSettings) -> WebClient:
    """A Web API client that retries a refused connection once and a short rate limit once."""
    return WebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=SLACK_TIMEOUT_SECONDS,
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=1), ShortRateLimitRetry()],
    )


def build_services(
    slack: SlackSettings,
    whmcs: WhmcsSettings | None,
    client: WebClient,
    clock: Callable[[], float] = time.monotonic,
) -> Services:
    """`whmcs=None` answers from the bundled demo data. `clock` times the caches and the WHMCS pause."""

    def group_members(group: str) -> frozenset[str]:
        response = client.usergroups_users_list(usergroup=group)
        return frozenset(response.get("users") or ())

    whmcs_settings = whmcs or DEMO_SETTINGS
    transport: Transport = demo_transport
    if whmcs is not None:
        transport = CredentialsBreaker(HttpTransport(whmcs, pool_size=slack.bot_concurrency), clock=clock)
    return Services(
        whmcs=WhmcsClient(transport),
        policy=AccessPolicy(
            users=frozenset(slack.credits_allowed_users),
            groups=tuple(slack.credits_allowed_usergroups),
            channels=frozenset(slack.credits_allowed_channels),
        ),
        membership=GroupMembership(group_members, clock=clock),
        invoice_link=lambda invoice_id: whmcs_settings.admin_url(f"invoices.php?action=edit&id={invoice_id}"),
        whmcs_timeout=whmcs_settings.whmcs_timeout,
    )


def create_app(
    settings: SlackSettings, services: Services, client: WebClient, pool: LookupPool | None = None
) -> App:
    """Acknowledge in the request thread (process_before_response) and look up on a pool of
    BOT_CONCURRENCY threads, so that slow WHMCS answers never delay an acknowledgement. Pass `pool` to be
    able to drain it at shutdown.
    """
    settings.require_allow_rule()
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        process_before_response=True,
        token_verification_enabled=False,
        listener_executor=pool or LookupPool(settings.bot_concurrency),
        logger=logging.getLogger("slack_bolt"),
    )
    app.middleware(refuse_incomplete_commands)
    credits_command.register(app, services)
    return app


def refuse_incomplete_commands(body: dict[str, Any], next_: Callable[[], None]) -> BoltResponse | None:
    """Slack names the person and the channel in every slash command; a signed command without them is
    malformed, and gets a 400 rather than reaching a listener that relies on them.
    """
    if "command" in body and not (body.get("user_id") and body.get("channel_id")):
        return BoltResponse(status=400, body="a command needs user_id and channel_id")
    next_()
    return None
