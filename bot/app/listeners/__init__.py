"""Bolt listeners, one module per entry point, grouped by kind as in Slack's bolt-python starter template."""

from __future__ import annotations

from slack_bolt import App

from bot.app.listeners.actions import credit_buttons
from bot.app.listeners.commands import credits
from bot.app.listeners.events import app_home
from bot.app.listeners.shortcuts import look_up
from bot.app.listeners.views import picker
from bot.app.services import Services


def register_listeners(app: App, services: Services) -> None:
    credits.register(app, services)
    credit_buttons.register(app, services)
    look_up.register(app, services)
    picker.register(app, services)
    app_home.register(app, services)
