"""The one error map: each WHMCS error knows its kind, its outcome and which explanation it calls."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.errors import (
    ClientNotFound,
    ErrorKind,
    WhmcsAuthError,
    WhmcsCredentialsPaused,
    WhmcsError,
    WhmcsIpBanned,
    WhmcsIpNotAllowed,
    WhmcsPermissionError,
    WhmcsReplyTooLarge,
    WhmcsUnavailable,
    WhmcsUnexpectedReply,
    error_kind,
)
from bot.core.outcomes import Outcome

PAUSE_ENDS = datetime(2026, 1, 1, 9, 5, 30, tzinfo=UTC)


class NamesTheMethod:
    """An explainer that answers with the name of the method the error called, and the error it got."""

    def __init__(self) -> None:
        self.seen: list[WhmcsError] = []

    def _said(self, name: str, error: WhmcsError) -> str:
        self.seen.append(error)
        return name

    def client_not_found(self, error: ClientNotFound) -> str:
        return self._said("client_not_found", error)

    def credentials_paused(self, error: WhmcsCredentialsPaused) -> str:
        return self._said("credentials_paused", error)

    def auth(self, error: WhmcsAuthError) -> str:
        return self._said("auth", error)

    def permission(self, error: WhmcsPermissionError) -> str:
        return self._said("permission", error)

    def ip_not_allowed(self, error: WhmcsIpNotAllowed) -> str:
        return self._said("ip_not_allowed", error)

    def ip_banned(self, error: WhmcsIpBanned) -> str:
        return self._said("ip_banned", error)

    def unavailable(self, error: WhmcsUnavailable) -> str:
        return self._said("unavailable", error)

    def unexpected_reply(self, error: WhmcsUnexpectedReply) -> str:
        return self._said("unexpected_reply", error)

    def reply_too_large(self, error: WhmcsReplyTooLarge) -> str:
        return self._said("reply_too_large", error)

    def other(self, error: WhmcsError) -> str:
        return self._said("other", error)


EVERY_ERROR = [
    (ClientNotFound("42"), ErrorKind.CLIENT_NOT_FOUND, Outcome.NOT_FOUND, "client_not_found"),
    (
        WhmcsCredentialsPaused("Authentication Failed", PAUSE_ENDS),
        ErrorKind.CREDENTIALS_PAUSED,
        Outcome.WHMCS_AUTH,
        "credentials_paused",
    ),
    (WhmcsAuthError("Authentication Failed"), ErrorKind.AUTH, Outcome.WHMCS_AUTH, "auth"),
    (
        WhmcsPermissionError("Invalid Permissions", "getcredits"),
        ErrorKind.PERMISSION,
        Outcome.WHMCS_ERROR,
        "permission",
    ),
    (
        WhmcsIpNotAllowed("Invalid IP", "203.0.113.9"),
        ErrorKind.IP_NOT_ALLOWED,
        Outcome.WHMCS_ERROR,
        "ip_not_allowed",
    ),
    (WhmcsIpBanned("IP Banned"), ErrorKind.IP_BANNED, Outcome.WHMCS_ERROR, "ip_banned"),
    (
        WhmcsUnavailable("down", cause="refused"),
        ErrorKind.UNAVAILABLE,
        Outcome.WHMCS_UNAVAILABLE,
        "unavailable",
    ),
    (WhmcsUnexpectedReply("no result"), ErrorKind.UNEXPECTED_REPLY, Outcome.WHMCS_ERROR, "unexpected_reply"),
    (
        WhmcsReplyTooLarge(50_000_001, 50_000_000),
        ErrorKind.REPLY_TOO_LARGE,
        Outcome.WHMCS_ERROR,
        "reply_too_large",
    ),
    (WhmcsError("Something else"), ErrorKind.OTHER, Outcome.WHMCS_ERROR, "other"),
]


@pytest.mark.parametrize(("error", "kind", "outcome", "method"), EVERY_ERROR)
def test_each_error_knows_its_kind_outcome_and_explanation(
    error: WhmcsError, kind: ErrorKind, outcome: Outcome, method: str
) -> None:
    assert error.kind is kind
    assert error.outcome is outcome
    explainer = NamesTheMethod()
    assert error.explain(explainer) == method
    assert explainer.seen == [error]


def test_a_paused_call_is_still_an_authentication_failure() -> None:
    paused = WhmcsCredentialsPaused("Authentication Failed", PAUSE_ENDS)
    assert isinstance(paused, WhmcsAuthError)
    assert error_kind(paused) == "credentials_paused", "only logins WHMCS saw count as auth"


def test_every_kind_is_used_once() -> None:
    assert sorted(kind for _, kind, _, _ in EVERY_ERROR) == sorted(ErrorKind)


@pytest.mark.parametrize(
    "cause", ["timeout", "dns", "tls", "refused", "connection", "http_status", "not_json"]
)
def test_an_unavailable_whmcs_is_labelled_by_its_cause(cause: str) -> None:
    error = WhmcsUnavailable("no answer", cause=cause)  # type: ignore[arg-type]
    assert error.label == cause == error_kind(error)
    assert error.timed_out is (cause == "timeout")


def test_the_operator_text_names_what_matters() -> None:
    assert str(ClientNotFound("jane@example.com")) == "Client jane@example.com not found in WHMCS"
    assert ClientNotFound("42").client_ref_shown == "#42"
    assert ClientNotFound("jane@example.com").client_ref_shown == "jane@example.com"
    assert ClientNotFound("42").message == "Client Not Found"
    assert str(WhmcsAuthError("Authentication Failed")) == (
        "WHMCS rejected the bot's API credentials (Authentication Failed)"
    )
    assert str(WhmcsCredentialsPaused("Authentication Failed", PAUSE_ENDS)) == (
        "WHMCS rejected the bot's API credentials (Authentication Failed); "
        "not calling WHMCS again before 09:05:30 UTC"
    )
    assert (
        str(WhmcsPermissionError("x", "getclients"))
        == "the WHMCS API role does not allow the getclients action"
    )
    assert str(WhmcsIpNotAllowed("Invalid IP 203.0.113.9", "203.0.113.9")) == (
        "WHMCS does not allow API calls from this server's IP (WHMCS saw 203.0.113.9): Invalid IP 203.0.113.9"
    )
    assert str(WhmcsIpNotAllowed("IP Banned", None)) == (
        "WHMCS does not allow API calls from this server's IP: IP Banned"
    )
    assert str(WhmcsIpBanned("IP Banned")) == "WHMCS has banned this server's IP: IP Banned"
    assert str(WhmcsUnavailable("HTTP 502", cause="http_status")) == "WHMCS is unavailable: HTTP 502"
    assert str(WhmcsUnexpectedReply("no result")) == "unexpected reply from WHMCS: no result"
    assert str(WhmcsError("Something else")) == "Something else"
