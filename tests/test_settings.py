"""Settings: required variables, the https rule, and secrets that never print."""

from __future__ import annotations

import pytest

from bot import settings as config
from bot.settings import ConfigurationError, SlackSettings, WhmcsSettings


@pytest.mark.parametrize(
    ("url", "api"),
    [
        ("https://billing.example.com", "https://billing.example.com/includes/api.php"),
        ("https://example.com/whmcs/", "https://example.com/whmcs/includes/api.php"),
        ("https://example.com/whmcs/includes/api.php", "https://example.com/whmcs/includes/api.php"),
        ("http://127.0.0.5:8080", "http://127.0.0.5:8080/includes/api.php"),
        ("http://localhost", "http://localhost/includes/api.php"),
        ("http://[::1]:9000", "http://[::1]:9000/includes/api.php"),
    ],
)
def test_api_url(url: str, api: str) -> None:
    assert WhmcsSettings(whmcs_url=url, whmcs_identifier="i", whmcs_secret="s").api_url == api


def test_plain_http_to_a_remote_host_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WHMCS_URL", "http://billing.example.com")
    monkeypatch.setenv("WHMCS_IDENTIFIER", "i")
    monkeypatch.setenv("WHMCS_SECRET", "s")
    with pytest.raises(ConfigurationError, match=r"WHMCS_URL .*use https://"):
        config.load(WhmcsSettings)


def test_missing_variables_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WHMCS_URL", "WHMCS_IDENTIFIER", "WHMCS_SECRET"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigurationError) as raised:
        config.load(WhmcsSettings)
    assert str(raised.value) == "WHMCS_URL is not set; WHMCS_IDENTIFIER is not set; WHMCS_SECRET is not set"


def test_dotenv_file_is_read(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    with open(".env", "w") as dotenv:
        dotenv.write(
            "WHMCS_URL=https://billing.example.com\nWHMCS_IDENTIFIER=i\nWHMCS_SECRET=s\nWHMCS_TIMEOUT=4\n"
        )
    assert config.load(WhmcsSettings).whmcs_timeout == 4


def test_secrets_never_print() -> None:
    settings = WhmcsSettings(
        whmcs_url="https://x.example",
        whmcs_identifier="ident-123",
        whmcs_secret="secret-456",
        whmcs_access_key="key-789",
    )
    shown = repr(settings) + str(settings)
    assert not any(value in shown for value in ("ident-123", "secret-456", "key-789"))


def test_slack_lists_are_comma_separated_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "sign")
    monkeypatch.setenv("CREDITS_ALLOWED_USERS", " U012ABC, W0ZZ9 ,")
    monkeypatch.setenv("CREDITS_ALLOWED_USERGROUPS", "S0G1")
    settings = config.load(SlackSettings)
    assert settings.credits_allowed_users == ["U012ABC", "W0ZZ9"]
    assert settings.credits_allowed_usergroups == ["S0G1"]
    settings.require_allow_rule()


def test_bad_ids_and_no_allow_rule_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "sign")
    monkeypatch.setenv("CREDITS_ALLOWED_USERS", "alice")
    with pytest.raises(ConfigurationError, match="CREDITS_ALLOWED_USERS"):
        config.load(SlackSettings)
    monkeypatch.setenv("CREDITS_ALLOWED_USERS", "")
    with pytest.raises(ConfigurationError, match="CREDITS_ALLOWED_USERGROUPS"):
        config.load(SlackSettings).require_allow_rule()
