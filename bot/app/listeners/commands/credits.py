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

from bot.app.listeners.views.picker import open_picker
from bot.app.listeners.work import (
    Answer,
    Work,
    access,
    credit_answer,
    denial,
    finish,
    guarded,
    over_limit,
    promise_answer,
    reply,
)
from bot.app.lookups import Choices
from bot.app.services import Services
from bot.core.access import Verdict
from bot.core.blocks import client_choices_message, notice
from bot.core.commands import (
    COMMAND,
    HELP,
    USAGE,
    ByEmail,
    ById,
    ClientQuery,
    Invalid,
    Lookup,
    opens_picker,
    parse_command,
)
from bot.core.mrkdwn import escape
from bot.core.outcomes import Outcome
from bot.core.picker import Destination

PENDING = "credits_pending"
PICKER = "credits_picker"


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


def acknowledge(services: Services, ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    """Answer Slack within its 3 s: help, usage, a refusal, or "Looking up…" with the lookup left pending."""
    work = Work.of_command(command)
    try:
        outcome = decide(services, work, ack, command, context)
        if outcome is not None:
            finish(services, work, outcome)
    finally:
        services.metrics.acknowledged(time.monotonic() - work.started)


def decide(
    services: Services, work: Work, ack: Ack, command: dict[str, Any], context: BoltContext
) -> Outcome | None:
    """How the command ends at the acknowledgement; None when a lookup is pending."""
    if opens_picker(command.get("text")):
        ack()
        context[PICKER] = work
        return None
    request = parse_command(command.get("text", ""))
    if isinstance(request, Invalid):
        ack(text=f"Sorry, {escape(request.problem)}. {USAGE}", response_type="ephemeral")
        return Outcome.INVALID
    if not isinstance(request, Lookup):
        ack(text=HELP, response_type="ephemeral")
        return Outcome.HELP
    decision = access(services, work, may_ask_slack=False)
    if not (decision.allowed or decision.verdict is Verdict.ASK_SLACK):
        ack(**denial(services, decision), response_type="ephemeral")
        return Outcome.DENIED
    refusal = over_limit(services, work)
    if refusal is not None:
        ack(**refusal, response_type="ephemeral")
        return Outcome.RATE_LIMITED
    ack(text=looking_up(request.query), response_type="ephemeral")
    promise_answer(services, work)
    context[PENDING] = Pending(work, request, check_groups=not decision.allowed)
    return None


def look_up(services: Services, context: BoltContext) -> None:
    """The lazy part: confirm group membership when needed, ask WHMCS, answer, record."""
    picker: Work | None = context.get(PICKER)
    if picker is not None:
        destination = Destination(picker.user_id, picker.channel_id, picker.response_url)
        finish(services, picker, open_picker(services, picker, picker.trigger_id, destination))
        return
    pending: Pending | None = context.get(PENDING)
    if pending is None:
        return
    work = pending.work
    with services.metrics.lookup_in_flight():
        if pending.check_groups:
            decision = access(services, work, may_ask_slack=True)
            if not decision.allowed:
                reply(services, denial(services, decision), work)
                finish(services, work, Outcome.DENIED)
                return
        message, outcome = guarded(services, work, lambda: answer(services, work, pending.request))
        reply(services, message, work)
        finish(services, work, outcome)


def answer(services: Services, work: Work, request: Lookup) -> Answer:
    resolved = services.lookups.resolve(request.query)
    if isinstance(resolved, Choices):
        if not resolved.matches:
            return notice(f"No client matches '{escape(resolved.query)}'."), Outcome.NOT_FOUND
        message = client_choices_message(resolved.query, resolved.matches, resolved.total, request.filters)
        return message, Outcome.CHOICES
    view = services.lookups.credit_view(resolved, request.filters)
    work.answered_with(view)
    return credit_answer(services, view, allow_share=services.allow_share), Outcome.OK


def register(app: App, services: Services) -> None:
    def acknowledge_credits(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
        acknowledge(services, ack, command, context)

    def look_up_credits(context: BoltContext) -> None:
        look_up(services, context)

    app.command(COMMAND)(ack=acknowledge_credits, lazy=[look_up_credits])
