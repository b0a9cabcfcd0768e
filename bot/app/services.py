"""What the listeners need, built once per process and handed to them (never read from globals)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient

from bot.app.lookup_pool import Acknowledged, LookupPool
from bot.app.lookups import Lookups
from bot.app.picker_search import ClientSearch
from bot.app.view_cache import ViewCache
from bot.app.whmcs_status import WhmcsStatus
from bot.core.access import AccessPolicy
from bot.core.blocks import AdminLinks
from bot.core.ports import Store
from bot.slack.membership import GroupMembership
from bot.state.limits import RateLimiter
from bot.state.memory import MemoryStore
from bot.state.recent_lookups import RecentLookups
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
    picker: ClientSearch
    history: RecentLookups
    whmcs_status: WhmcsStatus
    allow_share: bool = True
    entry_table: bool = False
    acknowledged: Acknowledged = field(default_factory=Acknowledged)
    recent: Store = field(default_factory=MemoryStore)
    views: ViewCache = field(default_factory=ViewCache)
    side_calls: LookupPool | None = None
    """The pool of client-details calls and audit posts (`build_services`), so that the start can have its
    threads started ahead of the first burst."""
    close: Callable[[], None] = lambda: None
    """Shuts the side-call pool and closes the HTTP sessions, for whoever builds services more than once a
    process (the tests); a served process keeps its services until it exits."""
