"""Bolt listeners, one module per entry point, grouped by kind as in Slack's bolt-python starter template."""

from __future__ import annotations

from concurrent.futures import Executor

from slack_bolt import App

from bot.app.listeners.actions import credit_buttons
from bot.app.listeners.commands import credits
from bot.app.listeners.events import app_home
from bot.app.listeners.shortcuts import look_up
from bot.app.listeners.views import picker
from bot.app.services import Services


def register_listeners(app: App, services: Services, pool: Executor) -> None:
    """`pool` runs the work each acknowledgement promises (the lookup pool) for `/credits` and its buttons;
    the picker, the shortcut and the Home tab are Bolt lazy listeners, which run on the same pool."""
    credits.register(app, services, pool)
    credit_buttons.register(app, services, pool)
    look_up.register(app, services)
    picker.register(app, services)
    app_home.register(app, services)
