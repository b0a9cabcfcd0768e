"""The global shortcut "Look up credits": opens the client picker; its answer arrives as a direct message."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.app.listeners.views.picker import open_picker
from bot.app.listeners.work import Work, finish
from bot.app.services import Services
from bot.core.picker import PICKER_CALLBACK, Destination

OPENING = "credits_opening"


def register(app: App, services: Services) -> None:
    def acknowledge(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        ack()
        context[OPENING] = Work.of_shortcut(body)

    def opening(body: dict[str, Any], context: BoltContext) -> None:
        work: Work = context.get(OPENING) or Work.of_shortcut(body)
        finish(services, work, open_picker(services, work, Destination(work.user_id)))

    app.shortcut(PICKER_CALLBACK)(ack=acknowledge, lazy=[opening])
