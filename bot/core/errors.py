"""The ways a WHMCS call fails, as types. Each knows its kind (for metrics and logs) and the outcome it
gives a request (for logs, audit and metrics); the sentences for people live in `messages` and `check`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import ClassVar, Literal, Protocol

from bot.core.outcomes import Outcome


class ErrorKind(StrEnum):
    """A short, bounded name for what went wrong, for metrics and logs."""

    CLIENT_NOT_FOUND = "client_not_found"
    CREDENTIALS_PAUSED = "credentials_paused"
    AUTH = "auth"
    PERMISSION = "permission"
    IP_NOT_ALLOWED = "ip_not_allowed"
    IP_BANNED = "ip_banned"
    UNAVAILABLE = "unavailable"
    UNEXPECTED_REPLY = "unexpected_reply"
    REPLY_TOO_LARGE = "reply_too_large"
    OTHER = "other"


class Explainer(Protocol):
    """One sentence for each way WHMCS fails, for one kind of reader (the person in Slack, the operator in
    `check`). Each error calls its own method, so the readers' texts never repeat a dispatch on types."""

    def client_not_found(self, error: ClientNotFound) -> str: ...
    def credentials_paused(self, error: WhmcsCredentialsPaused) -> str: ...
    def auth(self, error: WhmcsAuthError) -> str: ...
    def permission(self, error: WhmcsPermissionError) -> str: ...
    def ip_not_allowed(self, error: WhmcsIpNotAllowed) -> str: ...
    def ip_banned(self, error: WhmcsIpBanned) -> str: ...
    def unavailable(self, error: WhmcsUnavailable) -> str: ...
    def unexpected_reply(self, error: WhmcsUnexpectedReply) -> str: ...
    def reply_too_large(self, error: WhmcsReplyTooLarge) -> str: ...
    def other(self, error: WhmcsError) -> str: ...


class WhmcsError(Exception):
    """Any failure to get an answer out of WHMCS. `message` is WHMCS's own text where it gave one."""

    kind: ClassVar[ErrorKind] = ErrorKind.OTHER
    outcome: ClassVar[Outcome] = Outcome.WHMCS_ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def label(self) -> str:
        """The metrics label: the kind, and for an unavailable WHMCS its cause (timeout, dns, ...)."""
        return self.kind.value

    def explain(self, explainer: Explainer) -> str:
        return explainer.other(self)


class ClientNotFound(WhmcsError):
    kind: ClassVar[ErrorKind] = ErrorKind.CLIENT_NOT_FOUND
    outcome: ClassVar[Outcome] = Outcome.NOT_FOUND

    def explain(self, explainer: Explainer) -> str:
        return explainer.client_not_found(self)

    def __init__(self, client_ref: str, message: str = "Client Not Found") -> None:
        super().__init__(message)
        self.client_ref = client_ref

    @property
    def client_ref_shown(self) -> str:
        """How a person would write the reference: `#42` for an id, an email as it is."""
        return f"#{self.client_ref}" if self.client_ref.isdigit() else self.client_ref

    def __str__(self) -> str:
        return f"Client {self.client_ref} not found in WHMCS"


class WhmcsAuthError(WhmcsError):
    """WHMCS refused the bot's API credentials. Never retried: WHMCS bans an IP after 3 failed logins."""

    kind: ClassVar[ErrorKind] = ErrorKind.AUTH
    outcome: ClassVar[Outcome] = Outcome.WHMCS_AUTH

    def explain(self, explainer: Explainer) -> str:
        return explainer.auth(self)

    def __str__(self) -> str:
        return f"WHMCS rejected the bot's API credentials ({self.message})"


class WhmcsCredentialsPaused(WhmcsAuthError):
    """WHMCS refused the credentials a moment ago, so no call is made until `resumes_at` (UTC)."""

    kind: ClassVar[ErrorKind] = ErrorKind.CREDENTIALS_PAUSED
    outcome: ClassVar[Outcome] = Outcome.WHMCS_AUTH

    def explain(self, explainer: Explainer) -> str:
        return explainer.credentials_paused(self)

    def __init__(self, message: str, resumes_at: datetime) -> None:
        super().__init__(message)
        self.resumes_at = resumes_at

    def __str__(self) -> str:
        return (
            f"WHMCS rejected the bot's API credentials ({self.message}); "
            f"not calling WHMCS again before {self.resumes_at:%H:%M:%S} UTC"
        )


class WhmcsPermissionError(WhmcsError):
    """The API role lacks an action the bot needs."""

    kind: ClassVar[ErrorKind] = ErrorKind.PERMISSION
    outcome: ClassVar[Outcome] = Outcome.WHMCS_ERROR

    def explain(self, explainer: Explainer) -> str:
        return explainer.permission(self)

    def __init__(self, message: str, action: str) -> None:
        super().__init__(message)
        self.action = action

    def __str__(self) -> str:
        return f"the WHMCS API role does not allow the {self.action} action"


class WhmcsIpNotAllowed(WhmcsError):
    """This host may not use the API; `ip` is the address WHMCS saw, when it said."""

    kind: ClassVar[ErrorKind] = ErrorKind.IP_NOT_ALLOWED
    outcome: ClassVar[Outcome] = Outcome.WHMCS_ERROR

    def explain(self, explainer: Explainer) -> str:
        return explainer.ip_not_allowed(self)

    def __init__(self, message: str, ip: str | None) -> None:
        super().__init__(message)
        self.ip = ip

    def __str__(self) -> str:
        seen = f" (WHMCS saw {self.ip})" if self.ip else ""
        return f"WHMCS does not allow API calls from this server's IP{seen}: {self.message}"


class WhmcsIpBanned(WhmcsIpNotAllowed):
    """WHMCS banned this server's IP (after 3 failed logins, or by hand): every API user of the server is
    locked out until the ban ends or a WHMCS admin lifts it under Banned IPs; the API IP allow-list does
    not help."""

    kind: ClassVar[ErrorKind] = ErrorKind.IP_BANNED
    outcome: ClassVar[Outcome] = Outcome.WHMCS_ERROR

    def explain(self, explainer: Explainer) -> str:
        return explainer.ip_banned(self)

    def __init__(self, message: str) -> None:
        super().__init__(message, None)

    def __str__(self) -> str:
        return f"WHMCS has banned this server's IP: {self.message}"


UnavailableCause = Literal["timeout", "dns", "tls", "refused", "connection", "http_status", "not_json"]


class WhmcsUnavailable(WhmcsError):
    """No usable answer: down, slow, an HTML error page, truncated JSON.

    `cause` says which, so that `check` can give advice and metrics can count failures by kind.
    """

    kind: ClassVar[ErrorKind] = ErrorKind.UNAVAILABLE
    outcome: ClassVar[Outcome] = Outcome.WHMCS_UNAVAILABLE

    def explain(self, explainer: Explainer) -> str:
        return explainer.unavailable(self)

    def __init__(self, message: str, *, cause: UnavailableCause) -> None:
        super().__init__(message)
        self.cause = cause

    @property
    def label(self) -> str:
        return self.cause

    @property
    def timed_out(self) -> bool:
        return self.cause == "timeout"

    def __str__(self) -> str:
        return f"WHMCS is unavailable: {self.message}"


class WhmcsUnexpectedReply(WhmcsError):
    """Valid JSON that does not have the shape of the reply asked for."""

    kind: ClassVar[ErrorKind] = ErrorKind.UNEXPECTED_REPLY
    outcome: ClassVar[Outcome] = Outcome.WHMCS_ERROR

    def explain(self, explainer: Explainer) -> str:
        return explainer.unexpected_reply(self)

    def __str__(self) -> str:
        return f"unexpected reply from WHMCS: {self.message}"


class WhmcsReplyTooLarge(WhmcsError):
    """WHMCS's reply, decoded (decompressed), passed the size the bot reads (`WHMCS_MAX_REPLY_MB`): reading
    on would hold it all in memory, so the reply is dropped. `read_bytes` is how much had been read by then
    (or the Content-Length that announced it, when nothing needed reading)."""

    kind: ClassVar[ErrorKind] = ErrorKind.REPLY_TOO_LARGE
    outcome: ClassVar[Outcome] = Outcome.WHMCS_ERROR

    def explain(self, explainer: Explainer) -> str:
        return explainer.reply_too_large(self)

    def __init__(self, read_bytes: int, limit_bytes: int) -> None:
        super().__init__(f"reply over {limit_bytes / 1e6:g} MB (at least {read_bytes:,} bytes)")
        self.read_bytes = read_bytes
        self.limit_bytes = limit_bytes

    def __str__(self) -> str:
        return (
            f"WHMCS's reply is larger than WHMCS_MAX_REPLY_MB ({self.limit_bytes / 1e6:g} MB): "
            f"at least {self.read_bytes:,} bytes decoded"
        )


def error_kind(error: WhmcsError) -> str:
    """The metrics label of an error: its kind, and for an unavailable WHMCS the cause (timeout, dns, ...).

    A call held back by the credentials pause is `credentials_paused`, not `auth`: it never reached WHMCS,
    and `auth` should count only the failed logins WHMCS saw (3 in 30 minutes ban the server's IP).
    """
    return error.label
