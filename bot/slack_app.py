"""Builds the Bolt app from settings and services; nothing here runs at import time."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from slack_bolt import App
from slack_sdk import WebClient

from bot import settings as config
from bot.access import AccessPolicy, GroupMembership
from bot.demo import DEMO_SETTINGS, demo_transport
from bot.listeners import credits_command
from bot.logs import configure
from bot.metrics import Metrics
from bot.services import Services
from bot.settings import ConfigurationError, SlackSettings, WhmcsSettings
from bot.whmcs import HttpTransport, WhmcsClient

logger = logging.getLogger(__name__)
SLACK_TIMEOUT_SECONDS = 5


def slack_client(settings: SlackSettings) -> WebClient:
    return WebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=SLACK_TIMEOUT_SECONDS,
    )


def build_services(
    slack: SlackSettings, whmcs: WhmcsSettings | None, client: WebClient, metrics: Metrics
) -> Services:
    """`whmcs=None` answers from the bundled demo data."""

    def group_members(group: str) -> frozenset[str]:
        response = client.usergroups_users_list(usergroup=group)
        return frozenset(response.get("users") or ())

    whmcs_settings = whmcs or DEMO_SETTINGS
    transport = demo_transport if whmcs is None else HttpTransport(whmcs, pool_size=slack.bot_concurrency)
    return Services(
        whmcs=WhmcsClient(transport, observe=metrics.whmcs_call),
        policy=AccessPolicy(
            users=frozenset(slack.credits_allowed_users),
            groups=tuple(slack.credits_allowed_usergroups),
            channels=frozenset(slack.credits_allowed_channels),
        ),
        membership=GroupMembership(group_members),
        invoice_link=lambda invoice_id: whmcs_settings.admin_url(f"invoices.php?action=edit&id={invoice_id}"),
        whmcs_timeout=whmcs_settings.whmcs_timeout,
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
    client = slack_client(slack)
    metrics = Metrics()
    app = create_app(slack, build_services(slack, whmcs, client, metrics), client, socket_mode=socket_mode)
    return ServedApp(slack, app, metrics)
