"""`/credits`: acknowledged at once in the request thread, looked up on the lookup pool, answered privately.

The acknowledgement never waits on the network: it parses the text and decides access from configuration
and cached group membership. What it decided travels to the lazy lookup through Bolt's context, because
Bolt runs lazy functions even after an acknowledgement that already answered (help, usage, a denial).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.access import Verdict
from bot.blocks import Message, client_choices_message, credit_log_message, escape, notice
from bot.commands import HELP, USAGE, ByEmail, ById, ClientQuery, Invalid, Lookup, parse_command
from bot.listeners.common import Work, access, denial, finish, guarded, note_view, over_limit, reply
from bot.lookups import Choices
from bot.services import Services

PENDING = "credits_pending"


@dataclass(frozen=True)
class Pending:
    """A lookup the acknowledgement promised; `check_groups` when Slack must still confirm membership."""

    work: Work
    request: Lookup
    check_groups: bool


def looking_up(query: ClientQuery) -> str:
    if isinstance(query, ById):
        return f"Looking up the credits of client #{query.client_id}…"
    if isinstance(query, ByEmail):
        return f"Looking up the client with email {escape(query.email)}…"
    return f"Searching WHMCS for clients matching '{escape(query.text)}'…"


def answer(services: Services, work: Work, request: Lookup) -> tuple[Message, str]:
    resolved = services.lookups.resolve(request.query)
    if isinstance(resolved, Choices):
        if not resolved.matches:
            return notice(f"No client matches '{escape(resolved.query)}'."), "not_found"
        return client_choices_message(
            resolved.query, resolved.matches, resolved.total, request.filters
        ), "choices"
    view = services.lookups.credit_view(resolved, request.filters)
    note_view(work, view)
    return credit_log_message(view, services.links, allow_share=services.allow_share), "ok"


def register(app: App, services: Services) -> None:
    def acknowledge(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
        work = Work.of_command(command)
        try:
            decide(work, ack, command, context)
        finally:
            services.metrics.acknowledged(time.monotonic() - work.started)

    def decide(work: Work, ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
        request = parse_command(command.get("text", ""))
        if isinstance(request, Lookup):
            decision = access(services, work, may_ask_slack=False)
            if decision.allowed or decision.verdict is Verdict.ASK_SLACK:
                refusal = over_limit(services, work)
                if refusal is None:
                    ack(text=looking_up(request.query), response_type="ephemeral")
                    context[PENDING] = Pending(work, request, check_groups=not decision.allowed)
                    return
                ack(**refusal, response_type="ephemeral")
                outcome = "rate_limited"
            else:
                ack(**denial(services, decision), response_type="ephemeral")
                outcome = "denied"
        elif isinstance(request, Invalid):
            ack(text=f"Sorry, {escape(request.problem)}. {USAGE}", response_type="ephemeral")
            outcome = "invalid"
        else:
            ack(text=HELP, response_type="ephemeral")
            outcome = "help"
        finish(services, work, outcome)

    def lookup(context: BoltContext) -> None:
        pending: Pending | None = context.get(PENDING)
        if pending is None:
            return
        with services.metrics.lookup_in_flight():
            look_up_and_answer(pending)

    def look_up_and_answer(pending: Pending) -> None:
        work = pending.work
        if pending.check_groups:
            decision = access(services, work, may_ask_slack=True)
            if not decision.allowed:
                reply(services, denial(services, decision), work)
                finish(services, work, "denied")
                return
        message, outcome = guarded(services, work, lambda: answer(services, work, pending.request))
        reply(services, message, work)
        finish(services, work, outcome)

    app.command("/credits")(ack=acknowledge, lazy=[lookup])
