"""The outbound sessions take from the environment what requests itself would, once per origin, and the
WHMCS calls and response posts really go through the proxy it names (a recording proxy on 127.0.0.1).

What an origin resolves to is kept for the process's life, so each test starts and ends with none kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bot.core.errors import WhmcsUnavailable
from bot.outbound import environment_for, origin_environment
from bot.settings import WhmcsSettings
from bot.slack.responses import ResponseUrlPoster
from bot.whmcs.client import WhmcsClient
from bot.whmcs.transport import HttpTransport
from tests.fakes.loopback import LoopbackServer, QuietHandler
from tests.fakes.whmcs import IDENTIFIER, SECRET, FakeWhmcs, entry

ORIGIN = "https://billing.example.com"
ENVIRONMENT = (
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "https_proxy",
    "http_proxy",
    "all_proxy",
    "no_proxy",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "NETRC",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
    origin_environment.cache_clear()
    yield
    origin_environment.cache_clear()


class RecordingProxy(LoopbackServer):
    """Records each request line; answers a forwarded POST as Slack would, and refuses a CONNECT tunnel."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.arrived: list[tuple[dict[str, str], bytes]] = []

    class handler_class(QuietHandler):
        def do_POST(self) -> None:
            self.server.owner.lines.append(self.requestline)  # type: ignore[attr-defined]
            self.server.owner.arrived.append((dict(self.headers), self.read_body()))  # type: ignore[attr-defined]
            self.send(200, b"ok", "text/plain", {"Set-Cookie": "PHPSESSID=not-sent-back"})

        def do_CONNECT(self) -> None:
            self.server.owner.lines.append(self.requestline)  # type: ignore[attr-defined]
            self.send(403, b"", "text/plain")


def what_requests_takes(url: str) -> tuple[dict[str, str], str | bool | None, tuple[str, str] | None]:
    """requests' own reading of the environment for a call to `url` (its trust_env path)."""
    session = requests.Session()
    merged = session.merge_environment_settings(url, {}, None, None, None)
    return dict(merged["proxies"]), merged["verify"], requests.utils.get_netrc_auth(url)


@pytest.mark.parametrize(
    "variables",
    [
        {},
        {"HTTPS_PROXY": "http://proxy.example.com:3128"},
        {"https_proxy": "http://proxy.example.com:3128", "no_proxy": "example.com"},
        {"HTTP_PROXY": "http://proxy.example.com:3128", "NO_PROXY": "other.example.org"},
        {"ALL_PROXY": "socks5://proxy.example.com:1080"},
        {"REQUESTS_CA_BUNDLE": "/etc/ssl/company.pem"},
        {"CURL_CA_BUNDLE": "/etc/ssl/curl.pem"},
        {"REQUESTS_CA_BUNDLE": "/etc/ssl/company.pem", "CURL_CA_BUNDLE": "/etc/ssl/curl.pem"},
    ],
)
@pytest.mark.parametrize("scheme", ["https", "http"])
def test_an_origin_gets_what_requests_would_take_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], scheme: str
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    url = f"{scheme}://billing.example.com/includes/api.php"
    environment = environment_for(url)
    assert (dict(environment.proxies), environment.verify, environment.auth) == what_requests_takes(url)


def test_a_netrc_entry_for_the_host_is_its_login(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine billing.example.com login bot password not-a-real-one\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    assert environment_for(ORIGIN + "/includes/api.php").auth == ("bot", "not-a-real-one")
    assert environment_for(ORIGIN + "/includes/api.php").auth == what_requests_takes(ORIGIN)[2]


def test_an_origin_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    before = environment_for(ORIGIN + "/includes/api.php")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.com:3128")
    assert environment_for(ORIGIN + "/other/path") is before
    assert environment_for("https://other.example.com/includes/api.php").proxies["https"].endswith(":3128")


def test_a_call_arrives_as_requests_own_post_would_send_it() -> None:
    """The same headers as `requests.post` (but the User-Agent), the same body, and no cookie sent back."""
    with RecordingProxy() as server:
        settings = WhmcsSettings(whmcs_url=server.url, whmcs_identifier=IDENTIFIER, whmcs_secret=SECRET)
        with pytest.raises(WhmcsUnavailable):  # "ok" is not JSON
            WhmcsClient(HttpTransport(settings)).get_credits(7)
        poster = ResponseUrlPoster(pool_size=1)
        poster(server.url + "/commands/T1/1/answer", {"text": "Crédits"})
        poster(server.url + "/commands/T1/2/answer", {"text": "again"})
        fields = {"action": "GetCredits", "identifier": IDENTIFIER, "secret": SECRET, "responsetype": "json"}
        requests.post(server.url + "/includes/api.php", data={**fields, "clientid": "7"}, timeout=5)
        requests.post(server.url + "/commands/T1/3/answer", json={"text": "Crédits"}, timeout=5)
    whmcs_call, answer, answer_again, plain_form, plain_json = server.arrived
    assert whmcs_call[1] == plain_form[1]
    assert answer[1] == plain_json[1]
    for ours, theirs in ((whmcs_call[0], plain_form[0]), (answer[0], plain_json[0])):
        assert ours.pop("User-Agent") == "credits-bot"
        assert theirs.pop("User-Agent").startswith("python-requests/")
        assert ours == theirs
    assert "Cookie" not in answer_again[0]


def test_whmcs_calls_go_through_the_environments_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    with RecordingProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        settings = WhmcsSettings(whmcs_url=ORIGIN, whmcs_identifier=IDENTIFIER, whmcs_secret=SECRET)
        with pytest.raises(WhmcsUnavailable):
            WhmcsClient(HttpTransport(settings)).get_credits(7)
    assert proxy.lines[0].startswith("CONNECT billing.example.com:443 HTTP/")


def test_no_proxy_sends_whmcs_calls_straight_there(monkeypatch: pytest.MonkeyPatch, whmcs: FakeWhmcs) -> None:
    whmcs.set_credits(7, [entry(1, "2024-01-01", "Top-up", "1.00")])
    with RecordingProxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        settings = WhmcsSettings(whmcs_url=whmcs.url, whmcs_identifier=IDENTIFIER, whmcs_secret=SECRET)
        assert len(WhmcsClient(HttpTransport(settings)).get_credits(7).entries) == 1
    assert proxy.lines == []


def test_answers_go_through_the_environments_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    with RecordingProxy() as proxy, RecordingProxy() as slack:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        response_url = f"{slack.url}/commands/T1/1/answer"
        ResponseUrlPoster(pool_size=1)(response_url, {"text": "Credits of client #7"})
    assert proxy.lines == [f"POST {response_url} HTTP/1.1"]
    assert slack.lines == []
