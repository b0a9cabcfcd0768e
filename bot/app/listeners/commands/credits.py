"""`/credits`: acknowledged at once in the request thread, looked up on the lookup pool, answered privately.

The acknowledgement never waits on the network: it parses the text and decides access from configuration
and cached group membership. What it decided (`Pending`) goes to the lookup pool as it is, and only when a
lookup is owed: help, usage and a denial are answered by the acknowledgement alone. `/credits` alone
(`Picking`) opens the client picker from the pool too.
"""

from __future__ import annotations

import time
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App

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
    start,
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


@dataclass(frozen=True)
class Pending:
    """A lookup the acknowledgement promised; `check_groups` when Slack must still confirm membership."""

    work: Work
    request: Lookup
    check_groups: bool


@dataclass(frozen=True)
class Picking:
    """`/credits` alone: the picker modal to open with the command's trigger (Slack allows 3 s for it)."""

    work: Work


def looking_up(query: ClientQuery) -> str:
    if isinstance(query, ById):
        return f"Looking up the credits of client #{query.client_id}…"
    if isinstance(query, ByEmail):
        return f"Looking up the client with email {escape(query.email)}…"
    return f"Searching WHMCS for clients matching '{escape(query.text)}'…"


def acknowledge(services: Services, ack: Ack, command: dict[str, Any]) -> Pending | Picking | None:
    """Answer Slack within its 3 s: help, usage, a refusal, or "Looking up…" and the lookup it promises."""
    work = Work.of_command(command)
    try:
        decided = decide(services, work, ack, command)
        if isinstance(decided, Outcome):
            finish(services, work, decided)
            return None
        return decided
    finally:
        services.metrics.acknowledged(time.monotonic() - work.started)


def decide(services: Services, work: Work, ack: Ack, command: dict[str, Any]) -> Outcome | Pending | Picking:
    """How the command ends at the acknowledgement, or the lookup (or picker) it promised."""
    if opens_picker(command.get("text")):
        ack()
        return Picking(work)
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
    return Pending(work, request, check_groups=not decision.allowed)


def look_up(services: Services, pending: Pending) -> None:
    """On the lookup pool: confirm group membership when needed, ask WHMCS, answer, record."""
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


def pick(services: Services, picking: Picking) -> None:
    """On the lookup pool: open the picker modal where the command was typed."""
    work = picking.work
    destination = Destination(work.user_id, work.channel_id, work.response_url)
    finish(services, work, open_picker(services, work, destination))


def answer(services: Services, work: Work, request: Lookup) -> Answer:
    resolved = services.lookups.resolve(request.query)
    if isinstance(resolved, Choices):
        if not resolved.matches:
            return notice(f"No client matches '{escape(resolved.query)}'."), Outcome.NOT_FOUND
        message = client_choices_message(resolved.query, resolved.matches, resolved.total, request.filters)
        return message, Outcome.CHOICES
    view = services.lookups.credit_view(resolved, request.filters)
    services.views.keep(work.viewer(view.client_id), view)
    work.answered_with(view)
    return credit_answer(services, view, allow_share=services.allow_share), Outcome.OK


def register(app: App, services: Services, pool: Executor) -> None:
    def acknowledge_credits(ack: Ack, command: dict[str, Any]) -> None:
        promised = acknowledge(services, ack, command)
        if isinstance(promised, Pending):
            start(pool, promised.work, lambda: look_up(services, promised))
        elif isinstance(promised, Picking):
            start(pool, promised.work, lambda: pick(services, promised))

    app.command(COMMAND)(acknowledge_credits)
