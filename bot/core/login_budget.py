"""When the bot may log in to WHMCS again after WHMCS refused its credentials: the policy, no I/O.

WHMCS bans the server's IP after 3 failed logins (15 minutes by default, longer or for good if an admin
says so), and the ban locks out every API user of that server. So the bot spends at most 2 refused logins
in any 30-minute window (31 minutes here, for clocks that differ a little between processes), and waits
longer after each refusal in a row: 5, 10, 20, 40, then 60 minutes.

Credentials nobody has seen WHMCS accept are proven by one call before any other goes: a lookup sends
up to three calls at once (and a burst many more), and were the credentials wrong, each would be a refused
login at the same moment, so the first lookup after a start could get the server banned on its own. Once
WHMCS has accepted them (in any process sharing the record), calls go together as usual.

The record is small enough to live in a shared store, so that every process counts the same refusals:
the last two refused logins, how many came in a row, whether WHMCS has accepted the credentials since,
and the attempt in flight (the probe) that the others wait for. The store applies `admit`, `refused` and
`accepted` atomically; these functions only compute the next record.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

WINDOW_SECONDS = 31 * 60.0
REFUSALS_PER_WINDOW = 2
PAUSES_SECONDS = (300.0, 600.0, 1200.0, 2400.0, 3600.0)
RECORD_TTL_SECONDS = 24 * 3600.0
"""How long a store keeps the record: longer than any pause and window, so forgetting it is harmless."""


@dataclass(frozen=True, slots=True)
class LoginRecord:
    """`refused_at`: the last two refused logins (clock seconds, oldest first); `streak`: refusals since
    WHMCS last accepted the credentials; `proven`: WHMCS accepted them after the last refusal;
    `probing_until`: an attempt is in flight until then."""

    refused_at: tuple[float, ...] = ()
    streak: int = 0
    probing_until: float = -math.inf
    message: str = ""
    proven: bool = False

    def to_json(self) -> dict[str, Any]:
        probing = None if math.isinf(self.probing_until) else self.probing_until
        return {
            "refused_at": list(self.refused_at),
            "streak": self.streak,
            "probing_until": probing,
            "message": self.message,
            "proven": self.proven,
        }

    @classmethod
    def from_json(cls, value: object) -> LoginRecord:
        """A record from the store; anything unreadable is no record (the store's TTL bounds the risk)."""
        if not isinstance(value, dict):
            return cls()
        try:
            refused = tuple(float(moment) for moment in value.get("refused_at") or ())
            probing = value.get("probing_until")
            return cls(
                refused_at=refused[-REFUSALS_PER_WINDOW:],
                streak=int(value.get("streak") or 0),
                probing_until=-math.inf if probing is None else float(probing),
                message=str(value.get("message") or ""),
                proven=value.get("proven") is True,
            )
        except (TypeError, ValueError):
            return cls()


def pause_after(streak: int) -> float:
    """The pause after the `streak`-th refusal in a row: 5, 10, 20, 40 minutes, then 60 each time."""
    return PAUSES_SECONDS[min(max(streak, 1), len(PAUSES_SECONDS)) - 1]


def next_attempt_at(record: LoginRecord) -> float:
    """The earliest moment a login may be tried: -inf while WHMCS accepts the credentials.

    The pause after the last refusal, and never so early that one more refusal would make three within
    WINDOW_SECONDS: the attempt must come a full window after the refusal before the last.
    """
    if record.streak == 0 or not record.refused_at:
        return -math.inf
    earliest = record.refused_at[-1] + pause_after(record.streak)
    if len(record.refused_at) >= REFUSALS_PER_WINDOW:
        earliest = max(earliest, record.refused_at[-REFUSALS_PER_WINDOW] + WINDOW_SECONDS)
    return earliest


def safe_attempt_at(record: LoginRecord, now: float) -> float | None:
    """When a login could neither cut the pause short nor be the third refusal within a window (what
    `check` waits for, even when WHMCS accepted the credentials since); None when that is now."""
    earliest = next_attempt_at(record)
    if len(record.refused_at) >= REFUSALS_PER_WINDOW:
        earliest = max(earliest, record.refused_at[-REFUSALS_PER_WINDOW] + WINDOW_SECONDS)
    return earliest if earliest > now else None


def third_in_window(record: LoginRecord, now: float) -> bool:
    """Whether a refusal now would be the third within WINDOW_SECONDS (what `check` warns about)."""
    recent = [moment for moment in record.refused_at if now - moment < WINDOW_SECONDS]
    return len(recent) >= REFUSALS_PER_WINDOW


class Admission(Enum):
    FREE = "free"
    """WHMCS accepts the credentials: call as usual."""
    PROBE = "probe"
    """This call is the one attempt (the pause is over, or nobody has seen the credentials accepted yet)."""
    WAIT = "wait"
    """Nobody has seen the credentials accepted and another call is trying them: wait for its answer."""
    PAUSED = "paused"
    """No call now: see `resumes_at`."""


@dataclass(frozen=True, slots=True)
class Decision:
    admission: Admission
    resumes_at: float = -math.inf
    message: str = ""


def admit(record: LoginRecord, now: float, probe_seconds: float) -> tuple[Decision, LoginRecord]:
    """Whether a call may go to WHMCS now, and the record with this call's reservation if it probes.

    A probe holds its reservation for `probe_seconds` (the longest a call can take); a process that dies
    mid-probe so only delays the next attempt, never adds one. Credentials not yet proven are probed the
    same way, but the calls behind the probe wait for it rather than fail: nothing says they are wrong.
    """
    earliest = next_attempt_at(record)
    if math.isinf(earliest):
        if record.proven:
            return Decision(Admission.FREE), record
        if now < record.probing_until:
            return Decision(Admission.WAIT, record.probing_until), record
        return Decision(Admission.PROBE), replace(record, probing_until=now + probe_seconds)
    if now < earliest:
        return Decision(Admission.PAUSED, earliest, record.message), record
    if now < record.probing_until:
        return Decision(Admission.PAUSED, record.probing_until, record.message), record
    return Decision(Admission.PROBE), replace(record, probing_until=now + probe_seconds)


def refused(record: LoginRecord, now: float, message: str) -> LoginRecord:
    """The record after WHMCS refused a login at `now` (every refusal counts, a probe's or not)."""
    return LoginRecord(
        refused_at=(*record.refused_at, now)[-REFUSALS_PER_WINDOW:],
        streak=record.streak + 1,
        message=message,
    )


def accepted(record: LoginRecord) -> LoginRecord:
    """The record after the probe's login was accepted: calls flow again. The refusal times are kept, so
    credentials that break again soon still cannot make three refusals within one window by probing."""
    return LoginRecord(refused_at=record.refused_at, proven=True)


def released(record: LoginRecord) -> LoginRecord:
    """The record after the probe got no answer at all: the next call may try."""
    return replace(record, probing_until=-math.inf)
