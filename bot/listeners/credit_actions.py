"""The buttons under an answer: show a client's credits, page, export CSV privately, share a summary.

Every press is acknowledged at once and checked again for the person who pressed it, so a forwarded or
forged button gets nothing. The button's value is the whole state (`ViewRef`), so any process serves it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk.errors import SlackApiError

from bot.blocks import (
    EXPORT_ACTION,
    NEWER_ACTION,
    OLDER_ACTION,
    SHARE_ACTION,
    SHOW_ACTION,
    Message,
    credit_log_message,
    notice,
    summary_message,
)
from bot.csv_export import credit_log_csv, csv_filename
from bot.listeners.common import Work, access, denial, finish, guarded, note_view, over_limit, reply
from bot.logs import event
from bot.services import Services
from bot.views import ViewRef

logger = logging.getLogger("credits.command")
STALE_BUTTON = "That button is no longer valid; run `/credits` again."
Handler = Callable[[Services, Work, ViewRef], tuple[Message, str]]


def show(services: Services, work: Work, ref: ViewRef) -> tuple[Message, str]:
    view = services.lookups.credit_view(ref.client_id, ref.filters, ref.offset)
    note_view(work, view)
    work.fields["offset"] = ref.offset
    return credit_log_message(view, services.links, allow_share=services.allow_share), "ok"


def export_csv(services: Services, work: Work, ref: ViewRef) -> tuple[Message, str]:
    """The whole (filtered) log as a file in a direct message to the person who pressed: never the channel."""
    view = services.lookups.credit_view(ref.client_id, ref.filters)
    shown = view.shown
    note_view(work, view)
    try:
        dm = services.slack.conversations_open(users=work.user_id)["channel"]["id"]
        services.slack.files_upload_v2(
            channel=dm,
            content=credit_log_csv(shown),
            filename=csv_filename(shown, ref.filters),
            title=f"Credit log of client #{ref.client_id}",
            initial_comment=(
                f"Credit log of client #{ref.client_id}: {shown.count:,} entries{ref.filters.label}."
            ),
        )
    except SlackApiError as error:
        event(
            logger,
            "export_failed",
            logging.WARNING,
            request_id=work.request_id,
            error=error.response.get("error"),
        )
        return notice("I couldn't send you the CSV in a direct message; try again shortly."), "export_failed"
    return (
        notice(f"Sent you the CSV of client #{ref.client_id} ({shown.count:,} entries) in a direct message."),
        "exported",
    )


def share(services: Services, work: Work, ref: ViewRef) -> tuple[Message, str]:
    """Post the summary (no entries) to the channel, on purpose, naming who shared it."""
    if not services.allow_share:
        return notice("Sharing is turned off for this workspace."), "denied"
    view = services.lookups.credit_view(ref.client_id, ref.filters)
    note_view(work, view)
    try:
        services.slack.chat_postMessage(
            channel=work.channel_id, **summary_message(view, services.links, work.user_id)
        )
    except SlackApiError as error:
        code = error.response.get("error")
        event(logger, "share_failed", logging.WARNING, request_id=work.request_id, error=code)
        hint = (
            " Invite me with `/invite @credits` first."
            if code in ("not_in_channel", "channel_not_found")
            else ""
        )
        return notice(f"I can't post in this channel.{hint}"), "share_failed"
    return notice("Shared the summary in this channel."), "shared"


def register(app: App, services: Services) -> None:
    def handler(handle: Handler) -> Callable[..., None]:
        def lazy(body: dict[str, Any], action: dict[str, Any]) -> None:
            work = Work.of_action(body, action)
            with services.metrics.lookup_in_flight():
                outcome = run(handle, work, action)
            finish(services, work, outcome)

        return lazy

    def run(handle: Handler, work: Work, action: dict[str, Any]) -> str:
        decision = access(services, work, may_ask_slack=True)
        if not decision.allowed:
            reply(services, denial(services, decision), work, replace=False)
            return "denied"
        ref = ViewRef.decode(action.get("value"))
        if ref is None:
            reply(services, notice(STALE_BUTTON), work, replace=False)
            return "invalid"
        refusal = over_limit(services, work)
        if refusal is not None:
            reply(services, refusal, work, replace=False)
            return "rate_limited"
        work.fields["client"] = ref.client_id
        message, outcome = guarded(services, work, lambda: handle(services, work, ref))
        # A page replaces the answer it was pressed on; the export and share notes leave that answer in place.
        reply(services, message, work, replace=handle is show)
        return outcome

    def acknowledge(ack: Ack) -> None:
        ack()

    for action_id, handle in (
        (re.compile(rf"^{SHOW_ACTION}_\d+$"), show),
        (NEWER_ACTION, show),
        (OLDER_ACTION, show),
        (EXPORT_ACTION, export_csv),
        (SHARE_ACTION, share),
    ):
        app.action(action_id)(ack=acknowledge, lazy=[handler(handle)])
