"""The Bolt app: how it acknowledges, authorizes and runs its listeners; nothing runs at import time."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.authorization import AuthorizeResult

from bot.app.listeners import register_listeners
from bot.app.lookup_pool import LookupPool
from bot.app.services import Services
from bot.settings import SlackSettings


def create_app(
    settings: SlackSettings,
    services: Services,
    *,
    socket_mode: bool = False,
    pool: LookupPool | None = None,
) -> App:
    """Acknowledge in the request thread (process_before_response) and look up on the lookup pool (8 x
    BOT_CONCURRENCY threads), handed the work directly, so that neither slow WHMCS answers nor copying the
    request for a lazy listener delay an acknowledgement.

    The same app serves HTTP and Socket Mode. Over HTTP every request must carry Slack's signature; in
    Socket Mode requests arrive on the WebSocket the app-level token opened, and there is nothing to sign.
    Pass `pool` to be able to drain it at shutdown.

    Authorization is the bot token from settings, known without asking Slack. With only a token, Bolt would
    call `auth.test` on the first request after every start, in the request thread and before the
    acknowledgement, and again on every request while Slack's Web API failed.
    """
    settings.require_allow_rule()
    authorized = AuthorizeResult(
        enterprise_id=None, team_id=None, bot_token=settings.slack_bot_token.get_secret_value()
    )
    lookups = pool or LookupPool(settings.lookup_threads, services.acknowledged)
    app = App(
        client=services.slack,
        authorize=lambda **_: authorized,
        signing_secret="" if socket_mode else settings.signing_secret(),
        request_verification_enabled=not socket_mode,
        process_before_response=True,
        listener_executor=lookups,
        logger=logging.getLogger("slack_bolt"),
    )
    app.middleware(refuse_incomplete_commands)
    register_listeners(app, services, lookups)
    return app


def refuse_incomplete_commands(body: dict[str, Any], next_: Callable[[], None]) -> BoltResponse | None:
    """Slack names the person and the channel in every slash command; a signed command without them is
    malformed, and gets a 400 rather than reaching a listener that relies on them.
    """
    if "command" in body and not (body.get("user_id") and body.get("channel_id")):
        return BoltResponse(status=400, body="a command needs user_id and channel_id")
    next_()
    return None
