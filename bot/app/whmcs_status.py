"""How WHMCS has been answering this process, for the Home tab's status line.

Told of every WHMCS call (the client's observer) when one was last answered; the credentials pause is asked
of the `CredentialsBreaker` itself. Per process: another web process may have heard from WHMCS later.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from bot.core.errors import WhmcsError, WhmcsUnavailable


class WhmcsStatus:
    def __init__(self, resumes_at: Callable[[], datetime | None] = lambda: None) -> None:
        self._resumes_at = resumes_at
        self.last_answered: datetime | None = None

    @property
    def paused_until(self) -> datetime | None:
        return self._resumes_at()

    def observe(self, action: str, seconds: float, error: WhmcsError | None) -> None:
        """WHMCS answered, even when with a refusal of this one request; silence does not count."""
        if not isinstance(error, WhmcsUnavailable):
            self.last_answered = datetime.now(UTC)
