"""The WHMCS client over real HTTP against the loopback WHMCS: fields, errors, retries, timeouts."""

from __future__ import annotations

import socket
import ssl
import time
from decimal import Decimal

import pytest

from bot.core.errors import (
    ClientNotFound,
    WhmcsAuthError,
    WhmcsError,
    WhmcsIpNotAllowed,
    WhmcsPermissionError,
    WhmcsUnavailable,
)
from bot.settings import WhmcsSettings
from bot.whmcs.client import WhmcsClient
from bot.whmcs.transport import HttpTransport, connection_failure
from tests.fakes.whmcs import ACCESS_KEY, IDENTIFIER, SECRET, FakeWhmcs, Reply, entry, error
from tests.processes import free_port


def client_for(settings: WhmcsSettings) -> WhmcsClient:
    return WhmcsClient(HttpTransport(settings))


def test_posts_credentials_and_json_response_type_in_the_body(whmcs: FakeWhmcs) -> None:
    whmcs.set_credits(42, [entry(1, "2024-01-01", "Top-up", "12.50")])
    settings = WhmcsSettings(
        whmcs_url=whmcs.url + "/includes/api.php",
        whmcs_identifier=IDENTIFIER,
        whmcs_secret=SECRET,
        whmcs_access_key=ACCESS_KEY,
    )
    log = client_for(settings).get_credits(42)
    assert log.total == Decimal("12.50")
    assert whmcs.calls == [
        {
            "action": "GetCredits",
            "identifier": IDENTIFIER,
            "secret": SECRET,
            "accesskey": ACCESS_KEY,
            "responsetype": "json",
            "clientid": "42",
        }
    ]


def test_authentication_failure_is_never_retried(whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings) -> None:
    whmcs.queue(error("Authentication Failed", status=403), Reply({"result": "success"}))
    with pytest.raises(WhmcsAuthError):
        client_for(whmcs_settings).get_credits(1)
    assert len(whmcs.calls) == 1


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_not_followed_so_credentials_go_nowhere_else(
    whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings, status: int
) -> None:
    elsewhere = FakeWhmcs()
    with elsewhere:
        target = f"{elsewhere.url}/includes/api.php?token=kept-out-of-logs"
        whmcs.queue(Reply("", status=status, content_type="text/html", headers={"Location": target}))
        with pytest.raises(WhmcsUnavailable) as raised:
            client_for(whmcs_settings).get_credits(1)
    assert elsewhere.calls == []
    assert len(whmcs.calls) == 1
    assert raised.value.message == (
        f"HTTP {status} redirect to {elsewhere.url}/includes/api.php: "
        "set WHMCS_URL to the address WHMCS redirects to"
    )
    assert raised.value.cause == "http_status"


def test_a_502_is_retried(whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings) -> None:
    whmcs.set_credits(1, [entry(1, "2024-01-01", "Top-up", "1.00")])
    whmcs.queue(Reply("<html><h1>502 Bad Gateway</h1></html>", status=502, content_type="text/html"))
    assert client_for(whmcs_settings).get_credits(1).count == 1
    assert len(whmcs.calls) == 2


def test_persistent_5xx_gives_up_after_one_retry(whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings) -> None:
    page = Reply("<html>Internal Server Error</html>", status=500, content_type="text/html")
    whmcs.queue(page, page, page, page)
    with pytest.raises(WhmcsUnavailable, match="HTTP 500") as raised:
        client_for(whmcs_settings).get_credits(1)
    assert raised.value.cause == "http_status", "the last 5xx comes back as a reply, never as a retry error"
    assert len(whmcs.calls) == 2


@pytest.mark.parametrize(
    ("reply", "kind", "words"),
    [
        (error("Client ID Not Found"), ClientNotFound, "Client 7 not found in WHMCS"),
        (
            error('Invalid Permissions: API action "getcredits" is not allowed', 403),
            WhmcsPermissionError,
            "getcredits",
        ),
        (error("Invalid IP 203.0.113.9", 403), WhmcsIpNotAllowed, "203.0.113.9"),
        (Reply("<html><body>Fatal error</body></html>", content_type="text/html"), WhmcsUnavailable, "HTML"),
        (Reply('{"result":"success","credits":{"cre'), WhmcsUnavailable, "not JSON"),
        (Reply("<html>Forbidden</html>", status=403, content_type="text/html"), WhmcsUnavailable, "HTTP 403"),
    ],
)
def test_failures_are_typed(
    whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings, reply: Reply, kind: type[Exception], words: str
) -> None:
    whmcs.queue(reply)
    with pytest.raises(kind) as raised:
        client_for(whmcs_settings).get_credits(7)
    assert words in str(raised.value)
    assert len(whmcs.calls) == 1


def test_a_hang_past_the_timeout_is_unavailable_and_not_retried(
    whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings
) -> None:
    settings = whmcs_settings.model_copy(update={"whmcs_timeout": 0.5})
    whmcs.queue(Reply({"result": "success"}, delay=3))
    started = time.monotonic()
    with pytest.raises(WhmcsUnavailable) as raised:
        client_for(settings).get_credits(1)
    assert raised.value.timed_out
    assert raised.value.cause == "timeout"
    assert time.monotonic() - started < 2
    assert len(whmcs.calls) == 1


def test_connection_refused_is_unavailable() -> None:
    port = free_port()
    settings = WhmcsSettings(whmcs_url=f"http://127.0.0.1:{port}", whmcs_identifier="i", whmcs_secret="s")
    with pytest.raises(WhmcsUnavailable, match="connection refused") as raised:
        client_for(settings).get_credits(1)
    assert raised.value.cause == "refused"


def test_unknown_host_is_a_dns_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    """The resolver answers "no such host" here without a query leaving the machine."""

    def no_such_host(*args: object, **kwargs: object) -> object:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    settings = WhmcsSettings(
        whmcs_url="https://whmcs.invalid", whmcs_identifier="i", whmcs_secret="s", whmcs_timeout=2
    )
    with pytest.raises(WhmcsUnavailable, match="DNS"):
        client_for(settings).get_credits(1)


def test_an_untrusted_certificate_is_a_tls_failure_saying_why(self_signed_tls: ssl.SSLContext) -> None:
    server = FakeWhmcs()
    server.tls = self_signed_tls
    with server:
        settings = WhmcsSettings(whmcs_url=server.url, whmcs_identifier=IDENTIFIER, whmcs_secret=SECRET)
        with pytest.raises(WhmcsUnavailable) as raised:
            client_for(settings).get_credits(1)
    assert raised.value.cause == "tls"
    assert raised.value.message == "TLS handshake failed (certificate not trusted: self-signed certificate)"
    assert server.calls == []


def test_https_to_a_plain_http_server_says_so(whmcs: FakeWhmcs) -> None:
    settings = WhmcsSettings(
        whmcs_url=whmcs.url.replace("http://", "https://"), whmcs_identifier=IDENTIFIER, whmcs_secret=SECRET
    )
    with pytest.raises(WhmcsUnavailable, match="did not answer TLS") as raised:
        client_for(settings).get_credits(1)
    assert raised.value.cause == "tls"


@pytest.mark.parametrize(
    ("text", "cause"),
    [
        (
            "HTTPSConnectionPool(host='x.invalid', port=443): Max retries exceeded (Caused by "
            "NameResolutionError(\"Failed to resolve 'x.invalid' ([Errno -2] Name or service not known)\"))",
            "dns",
        ),
        ("Max retries exceeded (Caused by NewConnectionError('[Errno 111] Connection refused'))", "refused"),
        ("Connection aborted.", "connection"),
    ],
)
def test_connection_errors_are_classified(text: str, cause: str) -> None:
    assert connection_failure(text).cause == cause


def test_every_action_is_reported_with_its_duration_and_error(
    whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings
) -> None:
    seen: list[tuple[str, float, WhmcsError | None]] = []
    client = WhmcsClient(HttpTransport(whmcs_settings), observe=lambda *call: seen.append(call))
    whmcs.set_credits(42, [entry(1, "2024-01-01", "Top-up", "1.00")])
    whmcs.queue(Reply(whmcs.credits[42], delay=0.2), error("Authentication Failed", 403))
    client.get_credits(42)
    with pytest.raises(WhmcsAuthError):
        client.get_credits(42)
    assert [(action, type(failure)) for action, _, failure in seen] == [
        ("GetCredits", type(None)),
        ("GetCredits", WhmcsAuthError),
    ]
    assert 0.2 <= seen[0][1] < 2
