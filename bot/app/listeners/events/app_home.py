"""The Home tab: published on `app_home_opened`, with the picker's button and the person's recent lookups.

A Home tab has no channel and no response_url: its "Look up credits" button opens the picker (answered in a
direct message), and each "Show again" is answered in a direct message, with access checked again.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk.errors import SlackApiError

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
from bot.app.services import Services
from bot.core.blocks import notice
from bot.core.home import HOME_PICKER_ACTION, HOME_SHOW_ACTION, denied_home_view, home_view, status_line
from bot.core.messages import STALE_BUTTON
from bot.core.outcomes import Outcome
from bot.core.picker import Destination
from bot.core.views import ViewRef
from bot.telemetry.logs import event

logger = logging.getLogger("credits.command")
HOME_WORK = "credits_home"


def publish(services: Services, user_id: str, team_id: str | None) -> Outcome:
    work = Work("home", user_id, "", team_id)
    decision = access(services, work, may_ask_slack=True)
    if decision.allowed:
        status = services.whmcs_status
        line = status_line(status.last_answered, status.paused_until, datetime.now(UTC))
        view = home_view(services.history.of(user_id), line)
        outcome = Outcome.HOME
    else:
        view = denied_home_view(denial(services, decision)["text"])
        outcome = Outcome.DENIED
    try:
        services.slack.views_publish(user_id=user_id, view=view)
    except (SlackApiError, OSError) as error:
        reason = error.response.get("error") if isinstance(error, SlackApiError) else type(error).__name__
        event(logger, "home_not_published", logging.WARNING, user=user_id, reason=str(reason))
        return Outcome.ANSWER_LOST
    return outcome


def show_again(services: Services, work: Work, value: object) -> Outcome:
    """A recent lookup shown again, in a direct message: access, the button's value, the limit, WHMCS."""
    decision = access(services, work, may_ask_slack=True)
    if not decision.allowed:
        reply(services, denial(services, decision), work)
        return Outcome.DENIED
    ref = ViewRef.decode(value)
    if ref is None:
        reply(services, notice(STALE_BUTTON), work)
        return Outcome.INVALID
    refusal = over_limit(services, work)
    if refusal is not None:
        reply(services, refusal, work)
        return Outcome.RATE_LIMITED
    work.client_id = ref.client_id

    def answer() -> Answer:
        view = services.lookups.credit_view(ref.client_id, ref.filters)
        work.answered_with(view)
        return credit_answer(services, view, allow_share=False), Outcome.OK

    message, outcome = guarded(services, work, answer)
    reply(services, message, work)
    return outcome


def register(app: App, services: Services) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()

    def opened(event: dict[str, Any], body: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home":
            return  # the Messages tab: nothing to publish
        user_id = str(event.get("user", ""))
        work = Work("home", user_id, "", body.get("team_id"))
        finish(services, work, publish(services, user_id, body.get("team_id")))

    def acknowledge_press(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        ack()
        context[HOME_WORK] = Work.of_shortcut(body)

    def picker_pressed(body: dict[str, Any], context: BoltContext) -> None:
        work: Work = context.get(HOME_WORK) or Work.of_shortcut(body)
        finish(services, work, open_picker(services, work, Destination(work.user_id)))

    def show_pressed(body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
        work: Work = context.get(HOME_WORK) or Work.of_shortcut(body)
        work.kind, work.asked = (
            "home_button",
            f"{action.get('action_id', '')} {action.get('value', '')}"[:200],
        )
        with services.metrics.lookup_in_flight():
            outcome = show_again(services, work, action.get("value"))
        finish(services, work, outcome)

    app.event("app_home_opened")(ack=acknowledge, lazy=[opened])
    app.action(HOME_PICKER_ACTION)(ack=acknowledge_press, lazy=[picker_pressed])

    def acknowledge_show(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        """Owed an answer from here on: should the process stop first, the drain says so in a DM."""
        acknowledge_press(ack, body, context)
        promise_answer(services, context[HOME_WORK])

    app.action(re.compile(rf"^{HOME_SHOW_ACTION}_\d+$"))(ack=acknowledge_show, lazy=[show_pressed])
