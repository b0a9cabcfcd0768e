"""What the listeners need, built once per process and handed to them (never read from globals)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient

from bot.app.lookups import Lookups
from bot.core.access import AccessPolicy
from bot.core.blocks import AdminLinks
from bot.slack.membership import GroupMembership
from bot.state.limits import RateLimiter
from bot.telemetry.audit import Auditor
from bot.telemetry.metrics import Metrics


@dataclass(frozen=True)
class Services:
    lookups: Lookups
    policy: AccessPolicy
    membership: GroupMembership
    links: AdminLinks
    whmcs_timeout: float
    metrics: Metrics
    answer: Callable[[str, dict[str, Any]], None]
    audit: Auditor
    limiter: RateLimiter
    slack: WebClient
    allow_share: bool = True
    close: Callable[[], None] = lambda: None
    """Shuts the side-call pool and closes the HTTP sessions, for whoever builds services more than once a
    process (the tests); a served process keeps its services until it exits."""
