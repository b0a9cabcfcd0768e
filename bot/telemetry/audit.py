"""The audit trail: who looked at whose credits, when, and what came of it.

One JSON line per command and per button press (denials, invalid input and errors included) on stdout
under the logger `credits.audit`, so a log router can send it somewhere of its own. With AUDIT_CHANNEL set,
lookups and denials are also posted there as one line, never with amounts or entries.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from bot.core.mrkdwn import escape
from bot.core.outcomes import Outcome
from bot.telemetry.logs import event, writable

logger = logging.getLogger("credits.audit")
operator_log = logging.getLogger("credits.command")

SAW_BILLING_DATA = {
    Outcome.OK: "looked up credits for",
    Outcome.EXPORTED: "exported the credits of",
    Outcome.SHARED: "shared the credits of",
}


@dataclass(frozen=True)
class AuditRecord:
    time: str
    request_id: str
    kind: str
    team_id: str | None
    user_id: str | None
    user_name: str | None
    channel_id: str | None
    asked: str | None
    client_id: int | None
    client_name: str | None
    outcome: str
    entries: int | None
    whmcs_ms: int | None

    def line(self) -> str:
        """One JSON line that any UTF-8 stream can write, whatever WHMCS or Slack put in its text."""
        return writable(json.dumps(asdict(self), ensure_ascii=False))


_FIELDS = tuple(name for name in AuditRecord.__dataclass_fields__ if name != "time")


def audit_channel_text(record: AuditRecord) -> str | None:
    """The audit channel's line for a lookup or a denial; None for what is not worth a post (help, errors).

    Names are plain text, not mentions, so nobody is pinged by the audit channel.
    """
    who = f"@{escape(record.user_name or record.user_id or 'someone')}"
    where = f"<#{record.channel_id}>" if record.channel_id else "a direct message"
    if record.outcome == Outcome.DENIED:
        return f"{who} was refused /credits in {where}"
    if record.outcome in SAW_BILLING_DATA and record.client_id is not None:
        client = (
            f"{escape(record.client_name)} (#{record.client_id})"
            if record.client_name
            else f"#{record.client_id}"
        )
        return f"{who} {SAW_BILLING_DATA[Outcome(record.outcome)]} {client} in {where}"
    return None


class Auditor:
    """Writes each record to the audit log and, when a channel poster is given, to the audit channel.

    Posting runs on `executor`, so an acknowledgement that is audited never waits for Slack.
    """

    def __init__(self, post: Callable[[str], None] | None, executor: Executor) -> None:
        self._post = post
        self._executor = executor

    def record(self, fields: dict[str, Any]) -> None:
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        values: dict[str, Any] = {name: fields.get(name) for name in _FIELDS}
        record = AuditRecord(time=now, **values)
        logger.info(record.line())
        text = audit_channel_text(record)
        if self._post is not None and text is not None:
            self._executor.submit(post_safely, self._post, writable(text), record.request_id)


def post_safely(post: Callable[[str], None], text: str, request_id: str) -> None:
    try:
        post(text)
    except Exception as error:  # the person has their answer already; the operator gets the failure
        event(
            operator_log,
            "audit_post_failed",
            logging.WARNING,
            request_id=request_id,
            kind=type(error).__name__,
        )


def configure_audit_log() -> None:
    """Bare JSON lines on stdout, whatever LOG_FORMAT says: the audit trail is for machines first."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
