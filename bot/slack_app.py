"""Builds the Bolt app from settings and services; nothing here runs at import time."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient

from bot.access import AccessPolicy, GroupMembership
from bot.demo import DEMO_SETTINGS, demo_transport
from bot.listeners import credits_command
from bot.services import Services
from bot.settings import SlackSettings, WhmcsSettings
from bot.whmcs import CredentialsBreaker, HttpTransport, Transport, WhmcsClient

logger = logging.getLogger(__name__)
SLACK_TIMEOUT_SECONDS = 5


def slack_client(settings: SlackSettings) -> WebClient:
    return WebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=SLACK_TIMEOUT_SECONDS,
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


def create_app(settings: SlackSettings, services: Services, client: WebClient) -> App:
    """Acknowledge in the request thread (process_before_response) and look up on a pool of
    BOT_CONCURRENCY threads, so that slow WHMCS answers never delay an acknowledgement.
    """
    settings.require_allow_rule()
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        process_before_response=True,
        token_verification_enabled=False,
        listener_executor=ThreadPoolExecutor(settings.bot_concurrency, thread_name_prefix="lookup"),
        logger=logging.getLogger("slack_bolt"),
    )
    credits_command.register(app, services)
    return app
