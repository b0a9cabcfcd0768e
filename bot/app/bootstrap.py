"""Start-up: settings, logging, the services the listeners are handed, then the app; none of it at import."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from slack_bolt import App
from slack_sdk import WebClient

from bot import settings as config
from bot.app.create import create_app
from bot.app.lookup_pool import Intake, LookupPool
from bot.app.lookups import Lookups
from bot.app.picker_search import ClientSearch
from bot.app.services import Services
from bot.app.view_cache import ViewCache
from bot.app.whmcs_status import WhmcsStatus
from bot.core.access import AccessPolicy
from bot.core.blocks import AdminLinks
from bot.core.errors import WhmcsError
from bot.settings import ConfigurationError, SlackSettings, WhmcsSettings
from bot.slack.membership import GroupMembership
from bot.slack.responses import ResponseUrlPoster
from bot.slack.web_api import audit_poster, slack_client
from bot.state.recent_lookups import RecentLookups
from bot.state.selection import shared_state
from bot.telemetry.audit import Auditor, configure_audit_log
from bot.telemetry.logs import configure
from bot.telemetry.metrics import Metrics
from bot.whmcs.client import WhmcsClient
from bot.whmcs.credentials import CredentialsBreaker
from bot.whmcs.demo import DEMO_SETTINGS, demo_transport
from bot.whmcs.transport import HttpTransport, Transport, longest_call

logger = logging.getLogger(__name__)


def build_services(
    slack: SlackSettings,
    whmcs: WhmcsSettings | None,
    client: WebClient,
    metrics: Metrics,
    clock: Callable[[], float] = time.time,
) -> Services:
    """`whmcs=None` answers from the bundled demo data. `clock` times the WHMCS login budget, the
    membership cache (wall time: with Redis, processes compare each other's timestamps) and the lookups
    kept for their buttons (whose "as of" it also tells).

    Side calls (client details next to the credit log, audit channel posts) get their own pool of the same
    size as the lookup pool, so a lookup never waits for a thread that another lookup holds.
    """

    def group_members(group: str) -> frozenset[str]:
        response = client.usergroups_users_list(usergroup=group)
        return frozenset(response.get("users") or ())

    whmcs_settings = whmcs or DEMO_SETTINGS
    shared = shared_state(slack)
    transport: Transport = demo_transport
    http: HttpTransport | None = None
    status = WhmcsStatus()
    if whmcs is not None:
        http = HttpTransport(whmcs, pool_size=2 * slack.bot_concurrency)
        probe_seconds = longest_call(whmcs.whmcs_timeout) + 1
        breaker = CredentialsBreaker(http, shared.logins, clock=clock, probe_seconds=probe_seconds)
        transport, status = breaker, WhmcsStatus(breaker.resumes_at)
    side_calls = LookupPool(slack.lookup_threads, name="whmcs-side")

    def observe(action: str, seconds: float, error: WhmcsError | None) -> None:
        metrics.whmcs_call(action, seconds, error)
        status.observe(action, seconds, error)

    whmcs_client = WhmcsClient(transport, observe=observe)
    answer = ResponseUrlPoster(slack.bot_concurrency)
    picker = ClientSearch(whmcs_client, shared.store, slack.lookup_threads)

    def close() -> None:
        side_calls.shutdown(wait=True)
        picker.close()
        answer.close()
        if http is not None:
            http.close()

    return Services(
        lookups=Lookups(whmcs_client, side_calls, shared.store, whmcs_timeout=whmcs_settings.whmcs_timeout),
        policy=AccessPolicy(
            users=frozenset(slack.credits_allowed_users),
            groups=tuple(slack.credits_allowed_usergroups),
            channels=frozenset(slack.credits_allowed_channels),
        ),
        membership=GroupMembership(group_members, shared.store, clock=clock),
        links=AdminLinks(whmcs_settings.admin_base),
        whmcs_timeout=whmcs_settings.whmcs_timeout,
        allow_share=slack.credits_allow_share,
        entry_table=slack.credits_entry_table,
        answer=answer,
        audit=Auditor(audit_poster(client, slack.audit_channel), side_calls),
        limiter=shared.limiter,
        recent=shared.store,
        views=ViewCache(clock, prepare=side_calls),
        slack=client,
        picker=picker,
        history=RecentLookups(shared.store, clock),
        side_calls=side_calls,
        whmcs_status=status,
        metrics=metrics,
        close=close,
    )


@dataclass(frozen=True)
class ServedApp:
    settings: SlackSettings
    app: App
    metrics: Metrics
    pool: LookupPool
    warm_up: Callable[[], None]
    """Call once the process serves (after gunicorn's fork): `warm_up`."""
    intake: Intake | None = None
    """The acknowledgements the lookup pool lets go first (HTTP; Socket Mode has none)."""

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
    services = build_services(slack, whmcs, client, metrics)
    intake = None if socket_mode else Intake()
    pool = LookupPool(slack.lookup_threads, services.acknowledged, intake=intake)
    app = create_app(slack, services, socket_mode=socket_mode, pool=pool)
    return ServedApp(slack, app, metrics, pool, partial(warm_up, slack, services, pool), intake)


def warm_up(slack: SlackSettings, services: Services, pool: LookupPool) -> None:
    """As the process starts to serve: have BOT_CONCURRENCY lookup threads and as many side-call threads
    started (as many lookups as can be at WHMCS at once, two calls each), then `Lookups.warm_up`.

    The pools start their threads from a grower thread, one at a time; under a burst larger than any
    before, each start waits for the interpreter behind hundreds of busy threads, and the lookups queued
    behind those starts reached WHMCS a second or more late. Started now, while nothing else runs, they
    cost milliseconds (idle RSS after a warm-up burst was 67 MB with BOT_CONCURRENCY 32 and with 200)."""
    pool.prestart(slack.bot_concurrency)
    if services.side_calls is not None:
        services.side_calls.prestart(slack.bot_concurrency)
    services.lookups.warm_up()
