"""The WHMCS credentials pause: after a refused login, no call reaches WHMCS until the budget allows one."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.core import login_budget
from bot.core.errors import WhmcsAuthError, WhmcsCredentialsPaused
from bot.core.login_budget import Admission, LoginRecord
from bot.core.ports import LoginLedger
from bot.core.whmcs_replies import reported_error
from bot.state.login_ledger import MemoryLoginLedger
from bot.telemetry.logs import event
from bot.whmcs.transport import Transport

logger = logging.getLogger(__name__)

CREDENTIALS_PAUSE_SECONDS = login_budget.PAUSES_SECONDS[0]
PROBE_SECONDS = 60.0
"""How long the one attempt after a pause holds its reservation: longer than any WHMCS call can take."""
PROOF_POLL_SECONDS = 0.1
"""How often a call waiting for another process's proof of the credentials looks at the shared record."""


class CredentialsBreaker:
    """A Transport that stops calling WHMCS after WHMCS refuses the bot's credentials, within a budget of
    refused logins that can never get the server's IP banned (`bot.core.login_budget`).

    WHMCS bans an IP after 3 failed logins, which locks out every API user on this server. With a shared
    `ledger` (Redis) every process that shares it counts the same refusals and waits for the same pause.

    It wraps the Transport rather than WhmcsClient so that every action is guarded, whatever asks for it.
    A transport hands back WHMCS's reply uninterpreted, so the breaker asks `whmcs_replies.reported_error`
    whether the reply is a refused login and passes the reply on unchanged: the caller then raises the
    usual WhmcsAuthError from it, and what a reply means stays decided in one place. A transport that
    raises WhmcsAuthError itself trips the breaker too.

    While paused, calls raise WhmcsCredentialsPaused without any HTTP request. When the pause is over,
    one call (in any process) goes through as a probe and the others stay paused until it answers, so a
    burst of lookups cannot add several failed logins at once. The probe's outcome closes the breaker
    (WHMCS answered anything but a refused login), pauses again for longer (refused), or lets the next
    call probe (no answer). Only the probe closes it: a call sent before the refusal that succeeds
    afterwards proves nothing.

    Credentials that no process has seen WHMCS accept yet (a first start, or a shared record lost) are
    proven the same way: one call goes, and the calls behind it wait for its answer (at most
    `probe_seconds`, after which they try themselves), then go together or fail with the pause. So the
    first lookup after a start makes one refused login with wrong credentials, not three at once; the
    cost is that, without a shared record of an accepted login, its other calls go one round trip later.
    """

    def __init__(
        self,
        transport: Transport,
        ledger: LoginLedger | None = None,
        clock: Callable[[], float] = time.monotonic,
        probe_seconds: float = PROBE_SECONDS,
    ) -> None:
        """`clock` is wall time when the ledger is shared: processes compare each other's timestamps."""
        self._transport = transport
        self._ledger: LoginLedger = ledger or MemoryLoginLedger()
        self._clock = clock
        self._probe_seconds = probe_seconds
        self._answered = threading.Condition()

    def __call__(self, action: str, fields: dict[str, str]) -> object:
        gives_up = time.monotonic() + self._probe_seconds
        while (admission := self._admit()) is Admission.WAIT:
            if not self._wait_for_the_probe(gives_up):
                admission = Admission.PROBE  # the probe outlived any call: its process is gone
                break
        return self._send(action, fields, probe=admission is Admission.PROBE)

    def forced(self, action: str, fields: dict[str, str]) -> object:
        """One call whatever the budget says (`check --force`, after the credentials were fixed); its
        answer is recorded like a probe's, so an accepted login ends the pause for every process."""
        return self._send(action, fields, probe=True)

    def resumes_at(self) -> datetime | None:
        """When the next login may be tried (UTC), or None when calls may go now."""
        earliest = login_budget.next_attempt_at(self._ledger.read())
        return self._as_utc(earliest) if earliest > self._clock() else None

    def record(self) -> LoginRecord:
        return self._ledger.read()

    def _send(self, action: str, fields: dict[str, str], *, probe: bool) -> object:
        try:
            reply = self._transport(action, fields)
        except WhmcsAuthError as error:
            self._refused(action, error.message)
            raise
        except BaseException:
            if probe:
                self._ledger.update(lambda record: (None, login_budget.released(record)))
            raise
        finally:
            if probe:
                with self._answered:
                    self._answered.notify_all()
        refusal = reported_error(reply, action, "")
        if isinstance(refusal, WhmcsAuthError):
            self._refused(action, refusal.message)
        elif probe:
            self._accepted()
        return reply

    def _wait_for_the_probe(self, gives_up: float) -> bool:
        """Wait a little for the probe in flight (woken at once when it is this process's); False once
        `gives_up` has passed."""
        left = gives_up - time.monotonic()
        if left <= 0:
            return False
        with self._answered:
            self._answered.wait(min(PROOF_POLL_SECONDS, left))
        return True

    def _as_utc(self, moment: float) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=max(moment - self._clock(), 0))

    def _admit(self) -> Admission:
        """Raise while paused; else whether this call goes as usual, as the probe, or waits for one.

        Decided on a plain read: only taking the probe's reservation changes the record, and only that
        needs the ledger's atomic update (with Redis a WATCH/MULTI transaction); any other call costs one
        read (with Redis one GET)."""
        now = self._clock()

        def decide(record: LoginRecord) -> tuple[login_budget.Decision, LoginRecord]:
            return login_budget.admit(record, now, self._probe_seconds)

        decision, _ = decide(self._ledger.read())
        if decision.admission is Admission.PROBE:
            decision = self._ledger.update(decide)
        if decision.admission is Admission.PAUSED:
            raise WhmcsCredentialsPaused(decision.message, self._as_utc(decision.resumes_at))
        return decision.admission

    def _refused(self, action: str, message: str) -> None:
        now = self._clock()

        def change(record: LoginRecord) -> tuple[LoginRecord, LoginRecord]:
            after = login_budget.refused(record, now, message)
            return after, after

        after = self._ledger.update(change)
        resumes = login_budget.next_attempt_at(after)
        event(
            logger,
            "whmcs_credentials_paused",
            logging.WARNING,
            action=action,
            whmcs_message=message[:200],
            pause_s=round(resumes - now) if not math.isinf(resumes) else 0,
            refusals_in_a_row=after.streak,
            resumes_at=f"{self._as_utc(resumes):%Y-%m-%dT%H:%M:%SZ}",
        )

    def _accepted(self) -> None:
        was_paused = self._ledger.update(lambda record: (record.streak > 0, login_budget.accepted(record)))
        if was_paused:
            event(logger, "whmcs_credentials_accepted")
