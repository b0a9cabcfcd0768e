"""What an operator graphs: commands by outcome, acknowledgement and WHMCS latency, failures, work in flight.

Each app gets its own registry, so several apps in one process (the tests) never share counters. Metrics are
always recorded (a few counter updates per command); `METRICS_ENABLED` only decides whether `/metrics`
exposes them. No label carries a user, a channel or a client: the values are counts and durations only.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.process_collector import ProcessCollector

from bot.core.errors import ClientNotFound, WhmcsError, error_kind
from bot.core.outcomes import Outcome

# Slack allows 3 s for an acknowledgement; the buckets are finest where a regression would show.
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
WHMCS_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._commands = Counter(
            "credits_commands", "/credits commands answered, by outcome", ["outcome"], registry=self.registry
        )
        for outcome in Outcome:  # every series exists from the start, at 0
            self._commands.labels(outcome)
        self._ack_seconds = Histogram(
            "credits_ack_seconds",
            "Seconds from receiving a /credits command to acknowledging it",
            buckets=ACK_BUCKETS,
            registry=self.registry,
        )
        self._whmcs_seconds = Histogram(
            "credits_whmcs_request_seconds",
            "Seconds per WHMCS API action, retries included, by action",
            ["action"],
            buckets=WHMCS_BUCKETS,
            registry=self.registry,
        )
        self._whmcs_errors = Counter(
            "credits_whmcs_errors",
            "WHMCS API actions that failed, by kind (auth, permission, timeout, dns, tls, ...)",
            ["kind"],
            registry=self.registry,
        )
        self._lookups_in_flight = Gauge(
            "credits_lookups_in_flight", "Lookups running on the lookup pool", registry=self.registry
        )
        ProcessCollector(registry=self.registry)

    def command(self, outcome: Outcome) -> None:
        self._commands.labels(outcome).inc()

    def acknowledged(self, seconds: float) -> None:
        self._ack_seconds.observe(seconds)

    def whmcs_call(self, action: str, seconds: float, error: WhmcsError | None) -> None:
        """A WhmcsObserver. An unknown client is an answer, not a failure of WHMCS, so it is not counted."""
        self._whmcs_seconds.labels(action).observe(seconds)
        if error is not None and not isinstance(error, ClientNotFound):
            self._whmcs_errors.labels(error_kind(error)).inc()

    def lookup_in_flight(self) -> AbstractContextManager[None]:
        tracker: AbstractContextManager[None] = self._lookups_in_flight.track_inprogress()
        return tracker
