"""The floor: a Bolt app that checks the signature and acknowledges `/credits`, and does nothing else.

It acknowledges in the request thread (`process_before_response=True`), Bolt's shortest path from a
request to its 200, so no Bolt app on the same server acknowledges faster. It never answers.

    gunicorn --config python:bot.serve.gunicorn_config "benchmarks.baselines.bare_app:create_application()"
"""

from __future__ import annotations

import os

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.serve.gate import WsgiApp
from bot.serve.wsgi import WebApp


def create_app() -> App:
    app = App(
        client=WebClient(
            token=os.environ["SLACK_BOT_TOKEN"],
            base_url=os.environ.get("SLACK_API_URL", "https://slack.com/api/"),
        ),
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        process_before_response=True,
        token_verification_enabled=False,
    )

    @app.command("/credits")
    def acknowledge(ack: Ack) -> None:
        ack()

    return app


def create_application() -> WsgiApp:
    """credits-bot's WSGI shell (`/healthz`, `/slack/events`) around this app, so only the app differs."""
    return WebApp(create_app())
