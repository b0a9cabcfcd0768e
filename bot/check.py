"""`python -m bot check`: everything the bot needs, checked for the person setting it up.

One line per check, a check mark or a cross, and for a cross what went wrong and what to do, in plain words;
a warning sign for what works but needs an operator's attention.
Secrets are never printed, nor the user:password part of a URL.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TextIO
from urllib.error import URLError
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import settings as config
from bot.core import login_budget
from bot.core.errors import (
    ClientNotFound,
    WhmcsAuthError,
    WhmcsCredentialsPaused,
    WhmcsError,
    WhmcsIpBanned,
    WhmcsIpNotAllowed,
    WhmcsPermissionError,
    WhmcsReplyTooLarge,
    WhmcsUnavailable,
    WhmcsUnexpectedReply,
)
from bot.core.messages import minute_after
from bot.core.ports import LoginLedger
from bot.settings import ConfigurationError, SlackSettings, WhmcsSettings, shown_url
from bot.slack.token_errors import REFUSED_TOKEN, WRONG_TOKEN_TYPE
from bot.slack.web_api import slack_client
from bot.state.login_ledger import MemoryLoginLedger, RedisLoginLedger
from bot.state.redis_store import connect
from bot.whmcs.client import WhmcsClient
from bot.whmcs.credentials import CredentialsBreaker
from bot.whmcs.transport import HttpTransport, Transport, php_output

# The scopes manifest.yaml asks for; a test keeps the two the same.
REQUIRED_BOT_SCOPES = (
    "commands",
    "usergroups:read",
    "users:read",
    "chat:write",
    "files:write",
    "im:write",
    "channels:read",
    "groups:read",
    "im:read",
    "mpim:read",
)
# Asking for a client that cannot exist proves the credentials and the GetCredits permission without
# reading anyone's data, and needs no permission the bot does not already need.
PROBE_CLIENT_ID = 0


@dataclass(frozen=True)
class Result:
    passed: bool
    text: str
    warning: bool = False


def passed(text: str) -> Result:
    return Result(True, text)


def failed(text: str) -> Result:
    return Result(False, text)


def warned(text: str) -> Result:
    """Works, but the operator should change something: not a failure (the exit status stays 0)."""
    return Result(True, text, warning=True)


def scope_result(header: str | None) -> Result:
    """From auth.test's `x-oauth-scopes` header: the scopes the bot token was granted."""
    if header is None:
        return failed("Slack did not say which scopes the bot token has (no x-oauth-scopes header)")
    granted = {scope.strip() for scope in header.split(",") if scope.strip()}
    missing = [scope for scope in REQUIRED_BOT_SCOPES if scope not in granted]
    if missing:
        them = "them" if len(missing) > 1 else "it"
        return failed(
            f"Slack scopes: the bot token lacks {', '.join(missing)}: add {them} under OAuth & Permissions "
            "-> Bot Token Scopes (manifest.yaml lists all), then reinstall the app"
        )
    extra = sorted(granted.difference(REQUIRED_BOT_SCOPES))
    also = f" (also granted, not needed: {', '.join(extra)})" if extra else ""
    return passed(f"Slack scopes: {', '.join(REQUIRED_BOT_SCOPES)}{also}")


def slack_refusal(variable: str, code: str) -> str:
    if code in REFUSED_TOKEN:
        return (
            f"Slack refused {variable} ({code}): copy it again from the app's settings, reinstall if revoked"
        )
    if code == WRONG_TOKEN_TYPE:
        return f"{variable} is the wrong kind of token ({code})"
    return f"Slack answered {code} to {variable}"


def unreachable(what: str, url: str, error: Exception) -> str:
    reason = error.reason if isinstance(error, URLError) else type(error).__name__
    return f"{what} could not be reached at {shown_url(url)} ({reason})"


class OperatorAdvice:
    """What the operator running `check` must change, for each way WHMCS can refuse or fail."""

    def __init__(self, settings: WhmcsSettings) -> None:
        self.settings = settings
        self.api = shown_url(settings.api_url)
        self.host = urlsplit(settings.api_url).hostname

    def client_not_found(self, error: ClientNotFound) -> str:
        return self.other(error)

    def credentials_paused(self, error: WhmcsCredentialsPaused) -> str:
        return self.auth(error)

    def auth(self, error: WhmcsAuthError) -> str:
        return (
            f"WHMCS rejected WHMCS_IDENTIFIER and WHMCS_SECRET ({error.message}): copy them again from "
            "Manage API Credentials; WHMCS bans an IP after 3 failed logins, so fix this before trying again"
        )

    def permission(self, error: WhmcsPermissionError) -> str:
        return (
            f"the API role of WHMCS_IDENTIFIER does not allow the {error.action} action: tick it in the role "
            "under Setup -> Staff Management -> Manage API Credentials -> API Roles"
        )

    def ip_not_allowed(self, error: WhmcsIpNotAllowed) -> str:
        seen = f" {error.ip}" if error.ip else ""
        return (
            f"WHMCS refuses API calls from this server's IP address{seen} ({error.message}): allow it under "
            "Setup -> General Settings -> Security -> API IP Access Restriction, or set WHMCS_ACCESS_KEY"
        )

    def ip_banned(self, error: WhmcsIpBanned) -> str:
        return (
            f"WHMCS has banned this server's IP address ({error.message}), which locks out every API user of "
            "this server: a WHMCS admin lifts it under Configuration -> System Settings -> Banned IPs "
            "(Setup -> Other -> Banned IPs before WHMCS 8), or it ends by itself (15 minutes by default); "
            "the API IP Access Restriction list does not lift a ban. Fix WHMCS_IDENTIFIER and WHMCS_SECRET "
            "first if they were refused"
        )

    def unavailable(self, error: WhmcsUnavailable) -> str:
        host, api = self.host, self.api
        advice = {
            "dns": f"the host name {host} in WHMCS_URL could not be resolved (DNS): check its spelling",
            "tls": f"{error.message} with {host}: WHMCS needs a valid certificate issued for {host}",
            "timeout": (
                f"no answer from {api} within {self.settings.whmcs_timeout:g} s (WHMCS_TIMEOUT): "
                "is WHMCS up, and does its firewall let this server in?"
            ),
            "refused": f"{host} refused the connection to {api}: is WHMCS up, and is WHMCS_URL's port right?",
            "connection": f"could not connect to {api} ({error.message})",
        }
        not_api = f"{api} does not answer like the WHMCS API ({error.message}): WHMCS_URL is WHMCS's root URL"
        return advice.get(error.cause, not_api)

    def unexpected_reply(self, error: WhmcsUnexpectedReply) -> str:
        return f"WHMCS answered GetCredits with something unexpected ({error.message})"

    def reply_too_large(self, error: WhmcsReplyTooLarge) -> str:
        return f"{error}: raise WHMCS_MAX_REPLY_MB if this client's log is really that large"

    def other(self, error: WhmcsError) -> str:
        return f"WHMCS refused GetCredits: {error.message}"


def explain_whmcs_failure(error: WhmcsError, settings: WhmcsSettings) -> str:
    return error.explain(OperatorAdvice(settings))


def settings_results() -> tuple[list[Result], SlackSettings | None, WhmcsSettings | None]:
    results: list[Result] = []
    slack: SlackSettings | None = None
    whmcs: WhmcsSettings | None = None
    try:
        slack = config.load(SlackSettings)
        results.append(passed(_describe_slack(slack)))
    except ConfigurationError as error:
        results.append(failed(f"Slack settings: {error}"))
    if slack is not None:
        try:
            slack.require_allow_rule()
            if slack.slack_app_token is None:
                slack.signing_secret()
        except ConfigurationError as error:
            results.append(failed(str(error)))
    try:
        whmcs = config.load(WhmcsSettings)
        results.append(
            passed(f"WHMCS settings: API at {shown_url(whmcs.api_url)}, timeout {whmcs.whmcs_timeout:g} s")
        )
    except ConfigurationError as error:
        results.append(failed(f"WHMCS settings: {error}"))
    return results, slack, whmcs


def _describe_slack(settings: SlackSettings) -> str:
    mode = "Socket Mode (SLACK_APP_TOKEN)" if settings.slack_app_token is not None else "HTTP"
    users, groups = len(settings.credits_allowed_users), len(settings.credits_allowed_usergroups)
    channels = len(settings.credits_allowed_channels)
    where = f"in {channels} channel{'s' * (channels != 1)}" if channels else "in any channel"
    return (
        f"Slack settings: {mode}; {users} allowed user{'s' * (users != 1)}, "
        f"{groups} allowed user group{'s' * (groups != 1)}, {where}"
    )


def slack_results(settings: SlackSettings, client: WebClient) -> Iterator[Result]:
    try:
        identity = client.auth_test()
    except SlackApiError as error:
        yield failed(slack_refusal("SLACK_BOT_TOKEN", str(error.response.get("error"))))
        return
    except Exception as error:  # network, DNS, TLS: say where, and what failed
        yield failed(unreachable("Slack", settings.slack_api_url, error))
        return
    if not identity.get("bot_id"):
        yield failed("SLACK_BOT_TOKEN is not a bot token: use the Bot User OAuth Token (xoxb-...)")
    else:
        yield passed(
            f"Slack: workspace {identity.get('team')} ({identity.get('team_id')}), "
            f"bot user @{identity.get('user')} ({identity.get('user_id')})"
        )
    headers = {name.lower(): value for name, value in identity.headers.items()}
    yield scope_result(headers.get("x-oauth-scopes"))
    for group in settings.credits_allowed_usergroups:
        yield group_result(client, group)
    if settings.slack_app_token is not None:
        yield socket_result(client, settings.slack_app_token.get_secret_value())


def group_result(client: WebClient, group: str) -> Result:
    try:
        members = client.usergroups_users_list(usergroup=group).get("users") or []
    except SlackApiError as error:
        code = str(error.response.get("error"))
        if code == "no_such_subteam":
            return failed(f"Slack user group {group} does not exist in this workspace (or is disabled)")
        return failed(f"Slack would not list the members of user group {group} ({code})")
    except Exception as error:  # network
        return failed(f"Slack user group {group}: Slack could not be asked ({type(error).__name__})")
    return passed(f"Slack user group {group} exists ({len(members)} member{'s' * (len(members) != 1)})")


def socket_result(client: WebClient, app_token: str) -> Result:
    """apps.connections.open proves the app-level token; the WebSocket URL it returns is left unused."""
    try:
        client.apps_connections_open(app_token=app_token)
    except SlackApiError as error:
        return failed(slack_refusal("SLACK_APP_TOKEN", str(error.response.get("error"))))
    except Exception as error:  # network
        return failed(f"Socket Mode: Slack could not be asked ({type(error).__name__})")
    return passed("Socket Mode: SLACK_APP_TOKEN may open connections")


def login_ledger(slack: SlackSettings | None) -> LoginLedger:
    """The budget of refused logins the serving bot spends: Redis when REDIS_URL is set (then `check`
    sees the bot's pause and the bot sees `check`'s refusals), else this run's own."""
    if slack is None or slack.redis_url is None:
        return MemoryLoginLedger()
    client = connect(slack.redis_url.get_secret_value(), verify_tls=slack.redis_verify_tls, pool_size=2)
    return RedisLoginLedger(client)


def held_back(record: login_budget.LoginRecord, now: float, may_try_at: float) -> Result:
    """Why `check` does not log in now, and when it may."""
    when = f"{login_budget_moment(now, may_try_at)} UTC"
    if login_budget.third_in_window(record, now):
        why = (
            "WHMCS refused the credentials twice in the last 30 minutes, and a third refused login "
            "gets this server's IP banned"
        )
    else:
        why = f"WHMCS refused the credentials ({record.message}) and the bot is pausing to avoid a ban"
    return failed(
        f"WHMCS: not logging in: {why}; it may try again at {when}. Fix WHMCS_IDENTIFIER and WHMCS_SECRET "
        "first; once they are fixed, `check --force` tries now"
    )


def login_budget_moment(now: float, moment: float) -> str:
    """`HH:MM` (UTC) of a moment on the budget's clock, rounded up to the minute."""
    return minute_after(datetime.now(UTC) + timedelta(seconds=moment - now))


def whmcs_results(
    settings: WhmcsSettings,
    client_id: int | None,
    ledger: LoginLedger | None = None,
    *,
    force: bool = False,
    clock: Callable[[], float] = time.time,
) -> Iterator[Result]:
    """GetCredits through the same budget of refused logins as the bot, so `check` never adds the
    refusal that gets the server banned; `force` logs in anyway (after the credentials were fixed)."""
    breaker = CredentialsBreaker(HttpTransport(settings, pool_size=1), ledger, clock=clock)
    record, now = breaker.record(), clock()
    may_try_at = login_budget.safe_attempt_at(record, now)
    transport: Transport = breaker
    if may_try_at is not None:
        if not force:
            yield held_back(record, now, may_try_at)
            return
        yield warned(
            "WHMCS: --force: logging in although WHMCS refused the credentials lately; if they are still "
            "wrong this refusal may get this server's IP banned"
        )
        transport = breaker.forced
    yield whmcs_result(WhmcsClient(transport), settings, client_id)


def whmcs_result(client: WhmcsClient, settings: WhmcsSettings, client_id: int | None) -> Result:
    try:
        entries: int | None = client.get_credits(PROBE_CLIENT_ID if client_id is None else client_id).count
    except ClientNotFound:
        entries = None
    except WhmcsError as error:
        return failed(f"WHMCS: {explain_whmcs_failure(error, settings)}")
    if client_id is None:
        return passed("WHMCS: the API accepts the credentials and allows GetCredits")
    if entries is None:
        return failed(f"WHMCS: there is no client #{client_id} (the credentials and GetCredits work)")
    return passed(
        f"WHMCS: GetCredits for client #{client_id} works ({entries} entr{'y' if entries == 1 else 'ies'})"
    )


def php_output_result(seen_before: int) -> Result | None:
    """A warning when WHMCS's replies to the checks carried PHP's own messages (`display_errors` on)."""
    if php_output.seen == seen_before:
        return None
    return warned(
        f"WHMCS: PHP prints its messages into the API replies ({php_output.last_message}): the bot reads "
        "past them, but switch display_errors off in WHMCS's PHP settings (php.ini or the host's panel)"
    )


def run_checks(client_id: int | None, *, force: bool = False) -> Iterator[Result]:
    results, slack, whmcs = settings_results()
    yield from results
    if slack is not None:
        yield from slack_results(slack, slack_client(slack))
    if whmcs is not None:
        seen_before = php_output.seen
        yield from whmcs_results(whmcs, client_id, login_ledger(slack), force=force)
        php = php_output_result(seen_before)
        if php is not None:
            yield php


def marks(stream: TextIO) -> tuple[str, str]:
    """Check mark and cross, or plain words where the terminal's encoding has no such characters."""
    try:
        "✓✗".encode(stream.encoding or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return "ok  ", "FAIL"
    return "✓", "✗"


def warning_mark(stream: TextIO) -> str:
    """The warning sign, or a plain word where the terminal's encoding has no such character."""
    try:
        "⚠".encode(stream.encoding or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return "WARN"
    return "⚠"


def main(client_id: int | None, out: TextIO = sys.stdout, *, force: bool = False) -> int:
    """Exit status 0 when every check passed (warnings included), 1 otherwise."""
    good, bad = marks(out)
    warning = warning_mark(out)
    failures = 0
    for result in run_checks(client_id, force=force):
        failures += not result.passed
        mark = warning if result.warning else good if result.passed else bad
        print(f"{mark} {result.text}", file=out, flush=True)
    return 1 if failures else 0
