"""How a request ended: the one vocabulary of the operator log, the audit trail and the metrics."""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    OK = "ok"
    CHOICES = "choices"
    HELP = "help"
    INVALID = "invalid"
    DENIED = "denied"
    RATE_LIMITED = "rate_limited"
    NOT_FOUND = "not_found"
    WHMCS_AUTH = "whmcs_auth"
    WHMCS_UNAVAILABLE = "whmcs_unavailable"
    WHMCS_ERROR = "whmcs_error"
    ERROR = "error"
    EXPORTED = "exported"
    EXPORT_FAILED = "export_failed"
    SHARED = "shared"
    SHARE_FAILED = "share_failed"
    INTERRUPTED = "interrupted"
    ANSWER_LOST = "answer_lost"
    ALREADY_DONE = "already_done"
    PICKER = "picker"
    """The client picker was opened (the shortcut, `/credits` alone, the Home tab)."""
    HOME = "home"
    """The Home tab was published."""
