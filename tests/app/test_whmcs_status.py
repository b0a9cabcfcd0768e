"""The Home tab's view of WHMCS in this process: when it last answered, and the credentials pause."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.app.whmcs_status import WhmcsStatus
from bot.core.errors import ClientNotFound, WhmcsAuthError, WhmcsUnavailable


def test_any_answer_counts_even_a_refusal_and_silence_does_not() -> None:
    status = WhmcsStatus()
    assert status.last_answered is None
    status.observe("GetCredits", 0.1, WhmcsUnavailable("no complete answer", cause="timeout"))
    assert status.last_answered is None
    before = datetime.now(UTC)
    status.observe("GetCredits", 0.1, ClientNotFound("42"))
    first = status.last_answered
    assert first is not None and first >= before and first.tzinfo is UTC
    status.observe("GetCredits", 0.1, WhmcsAuthError("Authentication Failed"))
    status.observe("GetCredits", 0.1, None)
    assert status.last_answered is not None and status.last_answered >= first


def test_the_pause_is_asked_of_the_breaker_each_time() -> None:
    resumes: list[datetime | None] = [None]
    status = WhmcsStatus(lambda: resumes[0])
    assert status.paused_until is None
    resumes[0] = datetime(2026, 1, 1, 12, 5, tzinfo=UTC)
    assert status.paused_until == datetime(2026, 1, 1, 12, 5, tzinfo=UTC)
    assert WhmcsStatus().paused_until is None
