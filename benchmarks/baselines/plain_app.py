"""What a team writes without this project: Bolt's defaults, and the WHMCS call inside the listener.

With the default `App` settings the acknowledgement runs on Bolt's listener pool, and the listener keeps its
thread for the whole WHMCS call and the reply, so slow WHMCS answers hold up the acknowledgements queued
behind them. It does less than credits-bot (no access rules, no rate limit, no client details, no Block Kit),
which flatters it in the comparison.

    gunicorn --config python:bot.serve.gunicorn_config "benchmarks.baselines.plain_app:create_application()"
"""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

import requests
from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.serve.gate import WsgiApp
from bot.serve.wsgi import WebApp

WHMCS_TIMEOUT_SECONDS = 10
SHOWN_ENTRIES = 20


def credits_text(client_id: str, reply: dict[str, Any]) -> str:
    entries: list[dict[str, Any]] = (reply.get("credits") or {}).get("credit") or []
    total = sum((Decimal(str(entry["amount"])) for entry in entries), Decimal(0))
    lines = [f"{entry['date']}  {entry['amount']}  {entry['description']}" for entry in entries]
    header = f"Credits of client #{client_id}: {len(entries)} entries, total {total}"
    return "\n".join([header, *lines[:SHOWN_ENTRIES]])


def create_app() -> App:
    whmcs_api = os.environ["WHMCS_URL"].rstrip("/") + "/includes/api.php"
    app = App(
        client=WebClient(
            token=os.environ["SLACK_BOT_TOKEN"],
            base_url=os.environ.get("SLACK_API_URL", "https://slack.com/api/"),
        ),
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        token_verification_enabled=False,
    )

    @app.command("/credits")
    def credits(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        ack()
        client_id = command.get("text", "").strip()
        form = {
            "action": "GetCredits",
            "identifier": os.environ["WHMCS_IDENTIFIER"],
            "secret": os.environ["WHMCS_SECRET"],
            "clientid": client_id,
            "responsetype": "json",
        }
        try:
            reply: dict[str, Any] = requests.post(whmcs_api, data=form, timeout=WHMCS_TIMEOUT_SECONDS).json()
        except (requests.RequestException, ValueError):
            respond("WHMCS can't be reached right now; try again shortly.")
            return
        if reply.get("result") != "success":
            respond(f"WHMCS refused: {reply.get('message', 'no reason given')}")
            return
        respond(credits_text(client_id, reply))

    return app


def create_application() -> WsgiApp:
    """credits-bot's WSGI shell (`/healthz`, `/slack/events`) around this app, so only the app differs."""
    return WebApp(create_app())
