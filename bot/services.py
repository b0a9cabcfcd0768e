"""What the listeners need, built once per process and handed to them (never read from globals)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient

from bot.access import AccessPolicy, GroupMembership
from bot.audit import Auditor
from bot.blocks import AdminLinks
from bot.limits import RateLimiter
from bot.lookups import Lookups
from bot.metrics import Metrics


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
