"""What the listeners need, built once per process and handed to them (never read from globals)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.access import AccessPolicy, GroupMembership
from bot.blocks import InvoiceLink
from bot.metrics import Metrics
from bot.whmcs import WhmcsClient


@dataclass(frozen=True)
class Services:
    whmcs: WhmcsClient
    policy: AccessPolicy
    membership: GroupMembership
    invoice_link: InvoiceLink
    whmcs_timeout: float
    metrics: Metrics
