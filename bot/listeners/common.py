"""What every entry point shares: access checks, turning failures into one sentence, replying, logging.

Each Slack request is acknowledged at once and worked on in a lazy listener; this module is the part of
that work that does not depend on which button or command started it.
"""

from __future__ import annotations

import logging
import secrets
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import Respond

from bot.access import Decision, Verdict, check_access
from bot.blocks import Message, message_problems, notice
from bot.logs import event
from bot.messages import denial_text, failure_text, unexpected_text
from bot.services import Services
from bot.whmcs_replies import ClientNotFound, WhmcsAuthError, WhmcsError, WhmcsUnavailable

logger = logging.getLogger("credits.command")


@dataclass
class Work:
    """One request's bookkeeping: its reference, when it started, and what its log line will say."""

    request_id: str = field(default_factory=lambda: secrets.token_hex(6))
    started: float = field(default_factory=time.monotonic)
    fields: dict[str, Any] = field(default_factory=dict)


def outcome_of(error: WhmcsError) -> str:
    if isinstance(error, ClientNotFound):
        return "not_found"
    if isinstance(error, WhmcsAuthError):
        return "whmcs_auth"
    if isinstance(error, WhmcsUnavailable):
        return "whmcs_unavailable"
    return "whmcs_error"


def access(services: Services, work: Work, user: str, channel: str, *, may_ask_slack: bool) -> Decision:
    decision = check_access(services.policy, services.membership, user, channel, may_ask_slack=may_ask_slack)
    if not decision.allowed and decision.verdict is not Verdict.ASK_SLACK:
        event(
            logger,
            "access_denied",
            logging.WARNING,
            request_id=work.request_id,
            user=user,
            channel=channel,
            reason=decision.verdict.value,
        )
    return decision


def denial(services: Services, decision: Decision) -> Message:
    return notice(denial_text(decision.verdict, services.policy))


def guarded(
    services: Services, work: Work, produce: Callable[[], tuple[Message, str]]
) -> tuple[Message, str]:
    """Run WHMCS work; any failure becomes one sentence for the person and one log line for the operator."""
    whmcs_started = time.monotonic()
    try:
        return produce()
    except WhmcsError as error:
        event(
            logger,
            "whmcs_failed",
            logging.WARNING,
            request_id=work.request_id,
            kind=type(error).__name__,
            detail=error.message[:200],
        )
        return notice(failure_text(error, services.whmcs_timeout)), outcome_of(error)
    except Exception as error:  # the person gets a reference; the operator a one-line cause
        where = traceback.extract_tb(error.__traceback__)[-1]
        event(
            logger,
            "unexpected_error",
            logging.ERROR,
            request_id=work.request_id,
            kind=type(error).__name__,
            at=f"{where.filename}:{where.lineno}",
        )
        return notice(unexpected_text(work.request_id)), "error"
    finally:
        work.fields["whmcs_ms"] = round((time.monotonic() - whmcs_started) * 1000)


def reply(respond: Respond, message: Message, work: Work, *, replace: bool = True) -> None:
    """Answer through the request's response_url; a message Slack would refuse is logged and simplified."""
    problems = message_problems(message)
    if problems:
        event(
            logger,
            "message_over_limits",
            logging.ERROR,
            request_id=work.request_id,
            problems="; ".join(problems),
        )
        message = notice(message["text"])
    try:
        respond(**message, response_type="ephemeral", replace_original=replace)
    except Exception as error:  # Slack unreachable or the response_url expired: nothing more to tell anyone
        event(
            logger, "respond_failed", logging.WARNING, request_id=work.request_id, kind=type(error).__name__
        )


def finish(work: Work, kind: str, user: str | None, channel: str | None, outcome: str) -> None:
    """The one structured line per command or button press."""
    event(
        logger,
        kind,
        request_id=work.request_id,
        user=user,
        channel=channel,
        outcome=outcome,
        total_ms=round((time.monotonic() - work.started) * 1000),
        **work.fields,
    )
