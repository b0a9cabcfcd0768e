"""`/credits`: acknowledged at once in the request thread, looked up on the lookup pool, answered privately.

The acknowledgement never waits on the network: it parses the text and decides access from configuration
and cached group membership. What it decided travels to the lazy lookup through Bolt's context, because
Bolt runs lazy functions even after an acknowledgement that already answered (help, usage, a denial).
"""

from __future__ import annotations

import logging
import secrets
import time
import traceback
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from bot.access import Verdict, check_access
from bot.blocks import Message, credit_log_message, message_problems, notice
from bot.commands import HELP, USAGE, Invalid, LookupClient, ShowHelp, parse_command
from bot.logs import event
from bot.messages import denial_text, failure_text, unexpected_text
from bot.services import Services
from bot.whmcs_replies import (
    ClientNotFound,
    WhmcsAuthError,
    WhmcsError,
    WhmcsUnavailable,
)

logger = logging.getLogger("credits.command")
PLAN = "credits_plan"


@dataclass(frozen=True)
class Plan:
    """What the acknowledgement decided; `client_id` is None when there is nothing left to do."""

    request_id: str
    started: float
    client_id: int | None
    check_groups: bool = False


def outcome_of(error: WhmcsError) -> str:
    if isinstance(error, ClientNotFound):
        return "not_found"
    if isinstance(error, WhmcsAuthError):
        return "whmcs_auth"
    if isinstance(error, WhmcsUnavailable):
        return "whmcs_unavailable"
    return "whmcs_error"


def register(app: App, services: Services) -> None:
    def acknowledge(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
        plan = Plan(request_id=secrets.token_hex(6), started=time.monotonic(), client_id=None)
        try:
            decide(plan, ack, command, context)
        finally:
            services.metrics.acknowledged(time.monotonic() - plan.started)

    def decide(plan: Plan, ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
        request = parse_command(command.get("text", ""))
        outcome = "help"
        if isinstance(request, ShowHelp):
            ack(text=HELP, response_type="ephemeral")
        elif isinstance(request, Invalid):
            ack(text=f"Sorry, {request.problem}. {USAGE}", response_type="ephemeral")
            outcome = "invalid"
        elif isinstance(request, LookupClient):
            decision = check_access(
                services.policy,
                services.membership,
                command["user_id"],
                command["channel_id"],
                may_ask_slack=False,
            )
            if decision.allowed or decision.verdict is Verdict.ASK_SLACK:
                ack(text=f"Looking up the credits of client #{request.client_id}…", response_type="ephemeral")
                context[PLAN] = Plan(
                    plan.request_id, plan.started, request.client_id, check_groups=not decision.allowed
                )
                return
            ack(text=denial_text(decision.verdict, services.policy), response_type="ephemeral")
            outcome = "denied"
            event(
                logger,
                "access_denied",
                logging.WARNING,
                request_id=plan.request_id,
                user=command["user_id"],
                channel=command["channel_id"],
                reason=decision.verdict.value,
            )
        finish(services, plan, command, outcome)

    def lookup(command: dict[str, Any], context: BoltContext, respond: Respond) -> None:
        plan: Plan | None = context.get(PLAN)
        if plan is None or plan.client_id is None:
            return
        with services.metrics.lookup_in_flight():
            look_up_and_answer(plan, plan.client_id, command, respond)

    def look_up_and_answer(plan: Plan, client_id: int, command: dict[str, Any], respond: Respond) -> None:
        if plan.check_groups:
            decision = check_access(
                services.policy,
                services.membership,
                command["user_id"],
                command["channel_id"],
                may_ask_slack=True,
            )
            if not decision.allowed:
                event(
                    logger,
                    "access_denied",
                    logging.WARNING,
                    request_id=plan.request_id,
                    user=command["user_id"],
                    channel=command["channel_id"],
                    reason=decision.verdict.value,
                )
                reply(respond, notice(denial_text(decision.verdict, services.policy)), plan)
                finish(services, plan, command, "denied", client=client_id)
                return
        whmcs_started = time.monotonic()
        entries: int | None = None
        try:
            log = services.whmcs.get_credits(client_id)
            message = credit_log_message(log, services.invoice_link)
            outcome, entries = "ok", log.count
        except WhmcsError as error:
            message, outcome = notice(failure_text(error, services.whmcs_timeout)), outcome_of(error)
            event(
                logger,
                "whmcs_failed",
                logging.WARNING,
                request_id=plan.request_id,
                kind=type(error).__name__,
                detail=error.message[:200],
            )
        except Exception as error:  # the person gets a reference; the operator a one-line cause
            message, outcome = notice(unexpected_text(plan.request_id)), "error"
            where = traceback.extract_tb(error.__traceback__)[-1]
            event(
                logger,
                "unexpected_error",
                logging.ERROR,
                request_id=plan.request_id,
                kind=type(error).__name__,
                at=f"{where.filename}:{where.lineno}",
            )
        whmcs_ms = round((time.monotonic() - whmcs_started) * 1000)
        reply(respond, message, plan)
        finish(services, plan, command, outcome, client=client_id, entries=entries, whmcs_ms=whmcs_ms)

    app.command("/credits")(ack=acknowledge, lazy=[lookup])


def reply(respond: Respond, message: Message, plan: Plan) -> None:
    """Replace the "Looking up…" acknowledgement; a message Slack would refuse is logged and simplified."""
    problems = message_problems(message)
    if problems:
        event(
            logger,
            "message_over_limits",
            logging.ERROR,
            request_id=plan.request_id,
            problems="; ".join(problems),
        )
        message = notice(message["text"])
    try:
        respond(**message, response_type="ephemeral", replace_original=True)
    except Exception as error:  # Slack unreachable or the response_url expired: nothing more to tell anyone
        event(
            logger, "respond_failed", logging.WARNING, request_id=plan.request_id, kind=type(error).__name__
        )


def finish(services: Services, plan: Plan, command: dict[str, Any], outcome: str, **fields: Any) -> None:
    services.metrics.command(outcome)
    event(
        logger,
        "command",
        request_id=plan.request_id,
        user=command.get("user_id"),
        channel=command.get("channel_id"),
        outcome=outcome,
        total_ms=round((time.monotonic() - plan.started) * 1000),
        **fields,
    )
