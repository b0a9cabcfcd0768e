"""`python -m bot check` against the loopback Slack and WHMCS: a line per check, advice for each failure."""

from __future__ import annotations

import io
import re
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import yaml

from bot import check
from bot.core import login_budget
from bot.core.errors import WhmcsUnavailable
from bot.settings import WhmcsSettings, shown_url
from bot.state.login_ledger import MemoryLoginLedger, RedisLoginLedger
from tests.fakes.corpus import DEPRECATED_HTML
from tests.fakes.slack import APP_TOKEN, BOT_TOKEN, SIGNING_SECRET, FakeSlack
from tests.fakes.socket_mode import FakeSocketMode
from tests.fakes.whmcs import IDENTIFIER, SECRET, FakeWhmcs, Reply, entry, error
from tests.processes import ROOT, free_port
from tests.redis_server import redis_server
from tests.slack_harness import ALICE, BILLING_GROUP
from tests.test_cli import run_cli

SECRETS = (BOT_TOKEN, SIGNING_SECRET, APP_TOKEN, IDENTIFIER, SECRET)


@pytest.fixture
def ready(monkeypatch: pytest.MonkeyPatch, slack: FakeSlack, whmcs: FakeWhmcs) -> None:
    """Everything set as it should be."""
    for name, value in {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "CREDITS_ALLOWED_USERS": ALICE,
        "CREDITS_ALLOWED_USERGROUPS": BILLING_GROUP,
        "WHMCS_URL": whmcs.url,
        "WHMCS_IDENTIFIER": IDENTIFIER,
        "WHMCS_SECRET": SECRET,
        "WHMCS_TIMEOUT": "1",
    }.items():
        monkeypatch.setenv(name, value)


def run_check(client_id: int | None = None) -> tuple[int, list[str]]:
    out = io.StringIO()
    status = check.main(client_id, out)
    text = out.getvalue()
    assert not any(secret in text for secret in SECRETS)
    return status, text.splitlines()


@pytest.mark.usefixtures("ready")
def test_all_good(whmcs: FakeWhmcs, slack: FakeSlack) -> None:
    status, lines = run_check()
    assert lines == [
        "✓ Slack settings: HTTP; 1 allowed user, 1 allowed user group, in any channel",
        f"✓ WHMCS settings: API at {whmcs.url}/includes/api.php, timeout 1 s",
        "✓ Slack: workspace Fake (T0FAKE), bot user @creditsbot (U0BOT)",
        "✓ Slack scopes: commands, usergroups:read, users:read, chat:write, files:write, im:write, "
        "channels:read, groups:read, im:read, mpim:read",
        f"✓ Slack user group {BILLING_GROUP} exists (1 member)",
        "✓ WHMCS: the API accepts the credentials and allows GetCredits",
    ]
    assert status == 0
    assert [call["clientid"] for call in whmcs.actions("GetCredits")] == ["0"], "no real client is read"


@pytest.mark.usefixtures("ready")
def test_php_messages_in_the_replies_are_a_warning_line(whmcs: FakeWhmcs) -> None:
    """Issue 12: the check passes (the bot reads past them) and tells the operator what to switch off."""
    whmcs.php_output = DEPRECATED_HTML
    status, lines = run_check()
    assert lines[-2] == "✓ WHMCS: the API accepts the credentials and allows GetCredits"
    assert lines[-1].startswith("⚠ WHMCS: PHP prints its messages into the API replies (Deprecated: ")
    assert "switch display_errors off in WHMCS's PHP settings" in lines[-1]
    assert status == 0


def test_the_warning_mark_where_the_terminal_cannot_show_it() -> None:
    assert check.warning_mark(io.TextIOWrapper(io.BytesIO(), encoding="ascii")) == "WARN"
    assert check.warning_mark(io.TextIOWrapper(io.BytesIO(), encoding="utf-8")) == "⚠"


@pytest.mark.usefixtures("ready")
def test_a_given_client_is_looked_up(whmcs: FakeWhmcs) -> None:
    whmcs.set_credits(42, [entry(1, "2024-01-01", "Top-up", "1.00")])
    assert run_check(42)[1][-1] == "✓ WHMCS: GetCredits for client #42 works (1 entry)"
    status, lines = run_check(43)
    assert lines[-1] == "✗ WHMCS: there is no client #43 (the credentials and GetCredits work)"
    assert status == 1


@pytest.mark.usefixtures("ready")
def test_missing_and_extra_scopes(slack: FakeSlack) -> None:
    slack.scopes = tuple(s for s in check.REQUIRED_BOT_SCOPES if s not in ("usergroups:read", "users:read"))
    status, lines = run_check()
    assert lines[3] == (
        "✗ Slack scopes: the bot token lacks usergroups:read, users:read: add them under OAuth & Permissions "
        "-> Bot Token Scopes (manifest.yaml lists all), then reinstall the app"
    )
    assert status == 1
    slack.scopes = (*check.REQUIRED_BOT_SCOPES, "channels:history")
    assert run_check()[1][3] == (
        "✓ Slack scopes: commands, usergroups:read, users:read, chat:write, files:write, im:write, "
        "channels:read, groups:read, im:read, mpim:read (also granted, not needed: channels:history)"
    )
    slack.scopes = tuple(scope for scope in check.REQUIRED_BOT_SCOPES if scope != "users:read")
    assert run_check()[1][3].startswith("✗ Slack scopes: the bot token lacks users:read: add it under")


def test_required_scopes_are_the_manifests() -> None:
    for name in ("manifest.yaml", "manifest.socket.yaml"):
        manifest = yaml.safe_load((ROOT / name).read_text())
        assert tuple(manifest["oauth_config"]["scopes"]["bot"]) == check.REQUIRED_BOT_SCOPES


@pytest.mark.usefixtures("ready")
def test_an_unknown_user_group(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREDITS_ALLOWED_USERGROUPS", f"{BILLING_GROUP},S0GONE")
    status, lines = run_check()
    assert "✗ Slack user group S0GONE does not exist in this workspace (or is disabled)" in lines
    assert status == 1


@pytest.mark.usefixtures("ready")
def test_a_refused_bot_token_stops_the_slack_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-revoked-0000")
    status, lines = run_check()
    assert lines[2] == (
        "✗ Slack refused SLACK_BOT_TOKEN (invalid_auth): copy it again from the app's settings, "
        "reinstall if revoked"
    )
    assert lines[3].startswith("✓ WHMCS:")
    assert status == 1


@pytest.mark.usefixtures("ready")
def test_slack_unreachable_names_the_url_and_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"http://127.0.0.1:{free_port()}/api/"
    monkeypatch.setenv("SLACK_API_URL", url)
    status, lines = run_check()
    assert lines[2] == f"✗ Slack could not be reached at {url} ([Errno 111] Connection refused)"
    assert status == 1


@pytest.mark.usefixtures("ready")
def test_socket_mode_token(monkeypatch: pytest.MonkeyPatch, slack: FakeSlack) -> None:
    monkeypatch.delenv("SLACK_SIGNING_SECRET")
    monkeypatch.setenv("SLACK_APP_TOKEN", APP_TOKEN)
    with FakeSocketMode() as socket_mode:
        slack.socket_url = socket_mode.url
        status, lines = run_check()
    assert lines[0].startswith("✓ Slack settings: Socket Mode (SLACK_APP_TOKEN);")
    assert "✓ Socket Mode: SLACK_APP_TOKEN may open connections" in lines
    assert status == 0
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-revoked-0000")
    assert "✗ Slack refused SLACK_APP_TOKEN (invalid_auth)" in run_check()[1][-2]


@pytest.mark.usefixtures("ready")
@pytest.mark.parametrize(
    ("unset", "line"),
    [
        (
            ["CREDITS_ALLOWED_USERS", "CREDITS_ALLOWED_USERGROUPS"],
            "✗ nobody may use /credits: set CREDITS_ALLOWED_USERS (Slack user IDs) or "
            "CREDITS_ALLOWED_USERGROUPS (Slack user group IDs)",
        ),
        (["SLACK_SIGNING_SECRET"], "✗ SLACK_SIGNING_SECRET is not set: serving over HTTP needs it"),
        (["WHMCS_SECRET"], "✗ WHMCS settings: WHMCS_SECRET is not set"),
    ],
)
def test_settings_problems_are_named(monkeypatch: pytest.MonkeyPatch, unset: list[str], line: str) -> None:
    for name in unset:
        monkeypatch.delenv(name)
    status, lines = run_check()
    assert any(shown.startswith(line) for shown in lines), lines
    assert status == 1


@pytest.mark.usefixtures("ready")
@pytest.mark.parametrize(
    ("reply", "advice"),
    [
        (
            error("Invalid IP 203.0.113.9", 403),
            "✗ WHMCS: WHMCS refuses API calls from this server's IP address 203.0.113.9 "
            "(Invalid IP 203.0.113.9): allow it under Setup -> General Settings -> Security -> "
            "API IP Access Restriction, or set WHMCS_ACCESS_KEY",
        ),
        (
            error('Invalid Permissions: API action "getcredits" is not allowed', 403),
            "✗ WHMCS: the API role of WHMCS_IDENTIFIER does not allow the getcredits action: tick it in "
            "the role under Setup -> Staff Management -> Manage API Credentials -> API Roles",
        ),
        (
            error("Authentication Failed", 403),
            "✗ WHMCS: WHMCS rejected WHMCS_IDENTIFIER and WHMCS_SECRET (Authentication Failed): copy them "
            "again from Manage API Credentials; WHMCS bans an IP after 3 failed logins, so fix this before "
            "trying again",
        ),
        (
            Reply({"result": "success"}, delay=2),
            "✗ WHMCS: no answer from {url}/includes/api.php within 1 s (WHMCS_TIMEOUT): is WHMCS up, and "
            "does its firewall let this server in?",
        ),
        (
            Reply("<html>Welcome to our site</html>", content_type="text/html"),
            "✗ WHMCS: {url}/includes/api.php does not answer like the WHMCS API (answered with HTML or XML "
            "instead of JSON): WHMCS_URL is WHMCS's root URL",
        ),
    ],
)
def test_each_whmcs_failure_is_explained(whmcs: FakeWhmcs, reply: Reply, advice: str) -> None:
    whmcs.queue(reply)
    status, lines = run_check()
    assert lines[-1] == advice.format(url=whmcs.url)
    assert status == 1


@pytest.mark.usefixtures("ready")
def test_refused_connection_and_untrusted_certificate(
    monkeypatch: pytest.MonkeyPatch, self_signed_tls: ssl.SSLContext
) -> None:
    port = free_port()
    monkeypatch.setenv("WHMCS_URL", f"http://127.0.0.1:{port}")
    assert run_check()[1][-1] == (
        f"✗ WHMCS: 127.0.0.1 refused the connection to http://127.0.0.1:{port}/includes/api.php: "
        "is WHMCS up, and is WHMCS_URL's port right?"
    )
    server = FakeWhmcs()
    server.tls = self_signed_tls
    with server:
        monkeypatch.setenv("WHMCS_URL", server.url)
        assert run_check()[1][-1] == (
            "✗ WHMCS: TLS handshake failed (certificate not trusted: self-signed certificate) with "
            "127.0.0.1: WHMCS needs a valid certificate issued for 127.0.0.1"
        )


def test_dns_failure_advice() -> None:
    settings = WhmcsSettings(whmcs_url="https://billing.example.com", whmcs_identifier="i", whmcs_secret="s")
    failure = WhmcsUnavailable("the WHMCS host name could not be resolved (DNS)", cause="dns")
    assert check.explain_whmcs_failure(failure, settings) == (
        "the host name billing.example.com in WHMCS_URL could not be resolved (DNS): check its spelling"
    )


def test_urls_are_shown_without_credentials() -> None:
    assert shown_url("https://user:pw@billing.example.com:8443/whmcs/?x=1") == (
        "https://billing.example.com:8443/whmcs/"
    )
    assert shown_url("http://u:p@[::1]:9000/api/") == "http://[::1]:9000/api/"


def test_plain_marks_where_the_terminal_cannot_show_them() -> None:
    assert check.marks(io.TextIOWrapper(io.BytesIO(), encoding="ascii")) == ("ok  ", "FAIL")
    assert check.marks(io.TextIOWrapper(io.BytesIO(), encoding="utf-8")) == ("✓", "✗")


def test_the_command_line_exits_1_on_any_failure(whmcs: FakeWhmcs) -> None:
    whmcs.set_credits(7, [])
    slack = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "CREDITS_ALLOWED_USERS": ALICE,
    }
    unreachable = f"http://127.0.0.1:{free_port()}/api/"
    result = run_cli("check", "--client", "#7", whmcs=whmcs, SLACK_API_URL=unreachable, **slack)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[2].startswith("✗ Slack could not be reached")
    assert lines[-1] == "✓ WHMCS: GetCredits for client #7 works (0 entries)"
    assert result.stderr == "", "only the check's own lines are shown"


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    with redis_server(tmp_path) as url:
        yield url


def refused_twice(redis_url: str) -> RedisLoginLedger:
    """The record the serving bot leaves in Redis after two refused logins, 10 and 4 minutes ago."""
    ledger = RedisLoginLedger(redis.Redis.from_url(redis_url))
    now = time.time()
    record = login_budget.refused(login_budget.LoginRecord(), now - 600, "Authentication Failed")
    record = login_budget.refused(record, now - 240, "Authentication Failed")
    ledger.update(lambda _: (None, record))
    return ledger


@pytest.mark.usefixtures("ready")
def test_check_never_adds_the_third_refused_login_and_force_overrides_with_a_warning(
    whmcs: FakeWhmcs, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    ledger = refused_twice(redis_url)
    status, lines = run_check()
    assert status == 1
    held = [line for line in lines if line.startswith("✗ WHMCS: not logging in")]
    assert len(held) == 1
    assert "WHMCS refused the credentials twice in the last 30 minutes" in held[0]
    assert re.search(r"it may try again at \d\d:\d\d UTC", held[0])
    assert "`check --force` tries now" in held[0]
    assert whmcs.actions("GetCredits") == [], "check did not log in"

    out = io.StringIO()
    assert check.main(None, out, force=True) == 0
    forced = out.getvalue().splitlines()
    assert any(line.startswith("⚠ WHMCS: --force: logging in although") for line in forced)
    assert "✓ WHMCS: the API accepts the credentials and allows GetCredits" in forced
    assert ledger.read().streak == 0, "an accepted login ends the bot's pause too"


@pytest.mark.usefixtures("ready")
def test_check_logs_in_when_the_budget_allows_and_records_a_refusal_for_the_bot(
    whmcs: FakeWhmcs, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    whmcs.secret = "regenerated"
    status, lines = run_check()
    assert status == 1
    assert any(line.startswith("✗ WHMCS: WHMCS rejected WHMCS_IDENTIFIER and WHMCS_SECRET") for line in lines)
    ledger = RedisLoginLedger(redis.Redis.from_url(redis_url))
    assert ledger.read().streak == 1, "the serving bot pauses for check's refusal too"
    status, lines = run_check()
    assert any("the bot is pausing to avoid a ban" in line for line in lines)
    assert len(whmcs.actions("GetCredits")) == 1


def test_a_ban_tells_the_operator_where_an_admin_lifts_it(
    whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings
) -> None:
    whmcs.queue(error("IP Banned", status=403))
    (result,) = check.whmcs_results(whmcs_settings, None, MemoryLoginLedger())
    assert not result.passed
    assert "Banned IPs" in result.text
    assert "API IP Access Restriction list does not lift a ban" in result.text
