"""Refused WHMCS logins per 30 minutes while the credentials stay wrong, with 1 and 2 processes.

Simulated time (no WHMCS, no sleeping): every 30 seconds each process tries a lookup, for two hours, and
WHMCS refuses every login that reaches it. Prints the most refused logins in any 30-minute window (WHMCS
bans the server's IP at 3) and when the third refusal came. Two processes share one login ledger, as two
dynos sharing REDIS_URL do; a checkout whose breaker has no ledger counts per process.

    python -m benchmarks.login_budget
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from bot.core.errors import WhmcsAuthError
from bot.whmcs.credentials import CredentialsBreaker

WINDOW = 30 * 60.0
STEP = 30.0
HOURS = 2


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def breakers(count: int, clock: Clock, refusals: list[float]) -> list[CredentialsBreaker]:
    def refusing(action: str, fields: dict[str, str]) -> object:
        refusals.append(clock.now)
        return {"result": "error", "message": "Authentication Failed"}

    shared: dict[str, Any] = {}
    try:
        from bot.state.login_ledger import MemoryLoginLedger

        shared["ledger"] = MemoryLoginLedger()
    except ImportError:  # the breaker before the shared budget: one pause per process
        pass
    return [CredentialsBreaker(refusing, clock=clock, **shared) for _ in range(count)]


def run(count: int) -> tuple[int, float | None]:
    clock, refusals = Clock(), list[float]()
    processes = breakers(count, clock, refusals)
    while clock.now < HOURS * 3600:
        for breaker in processes:
            with contextlib.suppress(WhmcsAuthError):  # refused, or held back by the pause
                breaker("GetCredits", {"clientid": "42"})
        clock.now += STEP
    most = max(len([moment for moment in refusals if start <= moment < start + WINDOW]) for start in refusals)
    third = refusals[2] if len(refusals) > 2 and refusals[2] - refusals[0] < WINDOW else None
    return most, third


def main() -> None:
    logging.disable(logging.WARNING)  # one warning per refusal: the numbers are the point here
    for count in (1, 2):
        most, third = run(count)
        when = f"third refusal after {third / 60:.1f} min" if third is not None else "never 3 in 30 min"
        print(f"{count} process{'es' * (count > 1)}: at most {most} refused logins in 30 minutes; {when}")


if __name__ == "__main__":
    main()
