"""The WHMCS credentials pause: after a refused login, no call reaches WHMCS for a while."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.core.errors import WhmcsAuthError, WhmcsCredentialsPaused
from bot.core.whmcs_replies import reported_error
from bot.telemetry.logs import event
from bot.whmcs.transport import Transport

logger = logging.getLogger(__name__)

CREDENTIALS_PAUSE_SECONDS = 300.0


class CredentialsBreaker:
    """A Transport that stops calling WHMCS for 5 minutes after WHMCS refuses the bot's credentials.

    WHMCS bans an IP after 3 failed logins in 30 minutes, which locks out every API user on this server, so
    a refused login must not be followed by a stream of retries from people pressing /credits again.

    It wraps the Transport rather than WhmcsClient so that every action is guarded, whatever asks for it.
    A transport hands back WHMCS's reply uninterpreted, so the breaker asks `whmcs_replies.reported_error`
    whether the reply is a refused login and passes the reply on unchanged: the caller then raises the
    usual WhmcsAuthError from it, and what a reply means stays decided in one place. A transport that
    raises WhmcsAuthError itself trips the breaker too.

    While paused, calls raise WhmcsCredentialsPaused without any HTTP request. When the pause is over,
    one call goes through as a probe and the others stay paused until it answers, so a burst of lookups
    cannot add several failed logins at once. The probe's outcome closes the breaker (WHMCS answered
    anything but a refused login), pauses again (refused), or lets the next call probe (no answer). Only
    the probe closes it: a call sent before the refusal that succeeds afterwards proves nothing.
    """

    def __init__(
        self,
        transport: Transport,
        pause_seconds: float = CREDENTIALS_PAUSE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._transport = transport
        self._pause = pause_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._paused_until: float | None = None
        self._refusal = ""
        self._probing = False

    def __call__(self, action: str, fields: dict[str, str]) -> object:
        probe = self._admit()
        try:
            reply = self._transport(action, fields)
        except WhmcsAuthError as error:
            self._refused(action, error.message)
            raise
        except BaseException:
            if probe:
                with self._lock:
                    self._probing = False
            raise
        refusal = reported_error(reply, action, "")
        if isinstance(refusal, WhmcsAuthError):
            self._refused(action, refusal.message)
        elif probe:
            self._accepted()
        return reply

    def resumes_at(self) -> datetime | None:
        """When calls will go to WHMCS again, while the credentials pause lasts; else None."""
        with self._lock:
            if self._paused_until is None:
                return None
            left = self._paused_until - self._clock()
        return datetime.now(UTC) + timedelta(seconds=left) if left > 0 else None

    def _admit(self) -> bool:
        """Raise while paused; True when this call is the probe after a pause."""
        with self._lock:
            if self._paused_until is None:
                return False
            left = self._paused_until - self._clock()
            if left > 0 or self._probing:
                resumes_at = datetime.now(UTC) + timedelta(seconds=max(left, 0))
                raise WhmcsCredentialsPaused(self._refusal, resumes_at)
            self._probing = True
            return True

    def _refused(self, action: str, message: str) -> None:
        with self._lock:
            starts = self._paused_until is None or self._probing
            self._paused_until = self._clock() + self._pause
            self._refusal = message
            self._probing = False
        if starts:
            event(
                logger,
                "whmcs_credentials_paused",
                logging.WARNING,
                action=action,
                whmcs_message=message[:200],
                pause_s=round(self._pause),
            )

    def _accepted(self) -> None:
        with self._lock:
            self._paused_until = None
            self._probing = False
        event(logger, "whmcs_credentials_accepted")
