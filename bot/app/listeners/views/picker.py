"""The client picker: opening the modal, its options as the person types, and its submission.

Opened by the global shortcut, `/credits` alone, and the Home tab's button. Options are answered in the
request thread within Slack's 3 s (`ClientSearch` keeps its own deadline). Access is checked when the
picker opens, on every options request and again on submit; the rate limit counts submits and the
searches that reach WHMCS. The answer goes where `/credits` was typed, or else as a direct message.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk.errors import SlackApiError

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
from bot.app.services import Services
from bot.core.access import Verdict
from bot.core.blocks import notice
from bot.core.outcomes import Outcome
from bot.core.picker import (
    CLIENT_ACTION,
    PICKER_CALLBACK,
    TYPE_MORE,
    Destination,
    Picked,
    notice_option,
    notice_view,
    options_problems,
    picker_view,
    read_submission,
    search_for,
)
from bot.telemetry.logs import event

logger = logging.getLogger("credits.command")
DESTINATION_SECONDS = 1800.0
"""How long a picker remembers where its answer goes: a slash command's response_url lasts 30 minutes."""
SUBMITTED = "credits_submitted"
NOT_OPENED = "I couldn't open the client picker just now; type `/credits 42` (an id, email or name) instead."


def open_picker(services: Services, work: Work, destination: Destination) -> Outcome:
    """views.open with the work's trigger (Slack allows 3 s from the click or command); a denied person
    gets a modal that says who to ask instead of the picker."""
    decision = access(services, work, may_ask_slack=True)
    if not decision.allowed:
        view = notice_view(denial(services, decision)["text"])
        outcome = Outcome.DENIED
    else:
        reference = secrets.token_urlsafe(12)
        services.recent.put(f"picker:{reference}", destination.as_json(), DESTINATION_SECONDS)
        view = picker_view(reference)
        outcome = Outcome.PICKER
    try:
        services.slack.views_open(trigger_id=work.trigger_id, view=view)
    except (SlackApiError, OSError) as error:
        reason = error.response.get("error") if isinstance(error, SlackApiError) else type(error).__name__
        event(logger, "picker_not_opened", logging.WARNING, request_id=work.request_id, reason=str(reason))
        if work.response_url:
            reply(services, notice(NOT_OPENED), work, replace=False)
        return Outcome.ANSWER_LOST
    return outcome


def suggest(services: Services, ack: Ack, body: dict[str, Any]) -> None:
    """The options for what the person typed so far, always at least one, within Slack's 3 s."""
    user = (body.get("user") or {}).get("id", "")
    work = Work("options", user, destination_of(services, body, user).channel_id)
    decision = access(services, work, may_ask_slack=True)
    if not decision.allowed:
        options = notice_option(denial(services, decision)["text"])
    else:
        query = search_for(str(body.get("value") or ""))
        if query is None:
            options = notice_option(TYPE_MORE)
        else:
            options = services.picker.options(query, lambda: refusal_text(services, work))
    problems = options_problems(options)
    if problems:
        event(logger, "options_over_limits", logging.ERROR, problems="; ".join(problems))
        options = notice_option(TYPE_MORE)
    ack(options=options)


def refusal_text(services: Services, work: Work) -> str | None:
    refusal = over_limit(services, work)
    return None if refusal is None else refusal["text"]


@dataclass(frozen=True)
class Submitted:
    work: Work
    picked: Picked
    check_groups: bool


def destination_of(services: Services, body: dict[str, Any], user_id: str) -> Destination:
    """Where the modal's answer goes, from the reference it carries; a direct message when unknown."""
    reference = (body.get("view") or {}).get("private_metadata", "")
    stored = services.recent.get(f"picker:{reference}") if isinstance(reference, str) and reference else None
    return Destination.of_json(stored, user_id)


def submission_work(services: Services, body: dict[str, Any]) -> Work:
    user = body.get("user") or {}
    user_id = user.get("id", "")
    destination = destination_of(services, body, user_id)
    return Work(
        "picker",
        user_id,
        destination.channel_id,
        (body.get("team") or {}).get("id") or user.get("team_id"),
        user.get("username") or user.get("name"),
        response_url=destination.response_url,
        direct=destination.direct_message,
    )


def acknowledge_submit(services: Services, ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    """Errors next to the fields, a denial or the limit in the modal, or close it and answer later."""
    started = time.monotonic()
    try:
        values = ((body.get("view") or {}).get("state") or {}).get("values") or {}
        picked = read_submission(values)
        if not isinstance(picked, Picked):
            ack(response_action="errors", errors=picked)
            return
        work = submission_work(services, body)
        work.asked = f"picker {picked.client_id}"
        decision = access(services, work, may_ask_slack=False)
        if not (decision.allowed or decision.verdict is Verdict.ASK_SLACK):
            ack(response_action="update", view=notice_view(denial(services, decision)["text"]))
            finish(services, work, Outcome.DENIED)
            return
        refusal = over_limit(services, work)
        if refusal is not None:
            ack(response_action="update", view=notice_view(refusal["text"]))
            finish(services, work, Outcome.RATE_LIMITED)
            return
        ack()
        promise_answer(services, work)
        context[SUBMITTED] = Submitted(work, picked, check_groups=not decision.allowed)
    finally:
        services.metrics.acknowledged(time.monotonic() - started)


def look_up(services: Services, context: BoltContext) -> None:
    submitted: Submitted | None = context.get(SUBMITTED)
    if submitted is None:
        return
    work = submitted.work
    with services.metrics.lookup_in_flight():
        if submitted.check_groups:
            decision = access(services, work, may_ask_slack=True)
            if not decision.allowed:
                reply(services, denial(services, decision), work, replace=False)
                finish(services, work, Outcome.DENIED)
                return
        message, outcome = guarded(services, work, lambda: answer(services, work, submitted.picked))
        reply(services, message, work, replace=False)
        finish(services, work, outcome)


def answer(services: Services, work: Work, picked: Picked) -> Answer:
    view = services.lookups.credit_view(picked.client_id, picked.filters)
    work.answered_with(view)
    allow_share = services.allow_share and not work.direct  # a direct message has nobody to share with
    return credit_answer(services, view, allow_share=allow_share), Outcome.OK


def register(app: App, services: Services) -> None:
    def options(ack: Ack, body: dict[str, Any]) -> None:
        suggest(services, ack, body)

    def acknowledge(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        acknowledge_submit(services, ack, body, context)

    def submitted(context: BoltContext) -> None:
        look_up(services, context)

    app.options(CLIENT_ACTION)(options)
    app.view(PICKER_CALLBACK)(ack=acknowledge, lazy=[submitted])
