"""Bolt listeners, one module per entry point, grouped by kind as in Slack's bolt-python starter template."""

from __future__ import annotations

from concurrent.futures import Executor

from slack_bolt import App

from bot.app.listeners.actions import credit_buttons
from bot.app.listeners.commands import credits
from bot.app.services import Services


def register_listeners(app: App, services: Services, pool: Executor) -> None:
    """`pool` runs the work each acknowledgement promises (the lookup pool)."""
    credits.register(app, services, pool)
    credit_buttons.register(app, services, pool)
