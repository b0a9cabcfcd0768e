"""The buttons under an answer: show a client's credits, page, export CSV privately, share a summary.

Every press is acknowledged at once and checked again for the person who pressed it, so a forwarded or
forged button gets nothing. The button's value is the whole state (`ViewRef`), so any process serves it;
the process that answered the lookup serves it for 2 minutes from what that lookup fetched (`ViewCache`).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from typing import Any

from slack_bolt import Ack, App
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
    start,
)
from bot.app.services import Services
from bot.core.blocks import (
    EXPORT_ACTION,
    NEWER_ACTION,
    OLDER_ACTION,
    SHARE_ACTION,
    SHOW_ACTION,
    context,
    notice,
    summary_message,
)
from bot.core.csv_export import csv_filename
from bot.core.messages import STALE_BUTTON
from bot.core.outcomes import Outcome
from bot.core.views import CreditView, ViewRef
from bot.slack.web_api import SLACK_TIMEOUT_SECONDS
from bot.telemetry.logs import event

logger = logging.getLogger("credits.command")


def view_of(services: Services, work: Work, ref: ViewRef, offset: int = 0) -> tuple[CreditView, str | None]:
    """The button's view, and since when it is known: drawn from what this person's lookup of this client
    fetched in the last 2 minutes (no WHMCS call, "as of" when it was fetched), else from WHMCS (None),
    and then kept for the next press."""
    viewer = work.viewer(ref.client_id)
    kept = services.views.get(viewer)
    if kept is not None:
        note = f"As of {kept.as_of}, from your lookup; `/credits {ref.client_id}` asks WHMCS again."
        view = replace(kept.view, filters=ref.filters, offset=offset, notes=(*kept.view.notes, note))
        return view, kept.as_of
    view = services.lookups.credit_view(ref.client_id, ref.filters, offset)
    services.views.keep(viewer, view)
    return view, None


def show(services: Services, work: Work, ref: ViewRef) -> Answer:
    view, _ = view_of(services, work, ref, ref.offset)
    work.answered_with(view)
    work.offset = ref.offset
    return credit_answer(services, view, allow_share=services.allow_share), Outcome.OK


RECENT_SECONDS = 120.0
"""How long a share or an export is remembered per (person, channel, button value), so that pressing again
after a timeout, or twice in a row, does not post twice."""

_claims = threading.Lock()


@dataclass(frozen=True)
class OnceOnly:
    """Remembers a share or an export that is running, done, or may have been done (Slack timed out)."""

    services: Services
    key: str

    @classmethod
    def of(cls, services: Services, work: Work, action: str, ref: ViewRef) -> OnceOnly:
        return cls(services, f"once:{action}:{work.user_id}:{work.channel_id}:{ref.encode()}")

    def claim(self) -> str | None:
        """None when this press may go ahead (it is now remembered as running); else what was remembered."""
        with _claims:  # one process at a time; across processes Redis is read then written, not atomically
            seen = self.services.recent.get(self.key)
            if isinstance(seen, str):
                return seen
            self.services.recent.put(self.key, "running", RECENT_SECONDS)
            return None

    def settle(self, state: str | None) -> None:
        """`done`, `unsure` (Slack did not confirm), or None to forget it (it failed: press again)."""
        self.services.recent.put(self.key, state, RECENT_SECONDS if state else 0.001)


def slack_timed_out(work: Work, what: str, error: OSError) -> None:
    event(
        logger, f"{what}_unconfirmed", logging.WARNING, request_id=work.request_id, kind=type(error).__name__
    )


def export_csv(services: Services, work: Work, ref: ViewRef) -> Answer:
    """The whole (filtered) log as a file in a direct message to the person who pressed: never the channel."""
    once = OnceOnly.of(services, work, EXPORT_ACTION, ref)
    seen = once.claim()
    if seen is not None:
        return notice(ALREADY_EXPORTED[seen]), Outcome.ALREADY_DONE
    try:
        view, as_of = view_of(services, work, ref)
    except BaseException:
        once.settle(None)
        raise
    shown = view.shown
    work.answered_with(view)
    try:
        dm = services.slack.conversations_open(users=work.user_id)["channel"]["id"]
        services.slack.files_upload_v2(
            channel=dm,
            content=services.views.csv_rows(work.viewer(ref.client_id), view.log).file(shown),
            filename=csv_filename(shown, ref.filters),
            title=f"Credit log of client #{ref.client_id}",
            initial_comment=(
                f"Credit log of client #{ref.client_id}: {shown.count:,} entries{ref.filters.label}"
                f"{f', as of {as_of}' if as_of else ''}."
            ),
        )
    except SlackApiError as error:
        once.settle(None)
        event(
            logger,
            "export_failed",
            logging.WARNING,
            request_id=work.request_id,
            error=error.response.get("error"),
        )
        failed = notice("I couldn't send you the CSV in a direct message; try again shortly.")
        return failed, Outcome.EXPORT_FAILED
    except OSError as error:  # a timeout or a dropped connection: the file may have been sent
        once.settle("unsure")
        slack_timed_out(work, "export", error)
        return notice(EXPORT_UNCONFIRMED), Outcome.EXPORT_FAILED
    except BaseException:
        once.settle(None)
        raise
    once.settle("done")
    sent = f"Sent you the CSV of client #{ref.client_id} ({shown.count:,} entries) in a direct message."
    return notice(sent), Outcome.EXPORTED


EXPORT_UNCONFIRMED = (
    "Slack didn't confirm the CSV within "
    f"{SLACK_TIMEOUT_SECONDS} s; it may still arrive in your direct messages, so check there before pressing "
    "Export CSV again (I won't send it again for 2 minutes)."
)
SHARE_UNCONFIRMED = (
    f"Slack didn't confirm the share within {SLACK_TIMEOUT_SECONDS} s; it may have been posted, so check the "
    "channel before pressing Share again (I won't post it again for 2 minutes)."
)
ALREADY_EXPORTED = {
    "running": "I'm already sending you this CSV.",
    "done": "I sent you this CSV a moment ago; look in your direct messages with me.",
    "unsure": EXPORT_UNCONFIRMED,
}
ALREADY_SHARED = {
    "running": "I'm already sharing this summary here.",
    "done": "I shared this summary here a moment ago; not posted again.",
    "unsure": SHARE_UNCONFIRMED,
}
EXTERNAL_CHANNEL = (
    "This channel is shared with another organisation (Slack Connect), so I won't post billing data here; "
    "share it in an internal channel."
)
UNCHECKED_CHANNEL = (
    "I couldn't check whether this channel is shared with another organisation, so I didn't post the "
    "summary; try again shortly."
)


def outside_organisation(services: Services, work: Work) -> str | None:
    """Why the summary must not be posted in this channel: shared with another organisation (Slack Connect,
    or an invitation to it pending), or not known to be internal. None when it is internal."""
    try:
        channel = services.slack.conversations_info(channel=work.channel_id)["channel"]
    except (SlackApiError, OSError) as error:
        reason = error.response.get("error") if isinstance(error, SlackApiError) else type(error).__name__
        event(
            logger,
            "share_refused",
            logging.WARNING,
            request_id=work.request_id,
            reason=f"unchecked: {reason}",
        )
        return UNCHECKED_CHANNEL
    if channel.get("is_ext_shared") or channel.get("is_pending_ext_shared"):
        event(logger, "share_refused", logging.WARNING, request_id=work.request_id, reason="external_channel")
        return EXTERNAL_CHANNEL
    return None


def share(services: Services, work: Work, ref: ViewRef) -> Answer:
    """Post the summary (no entries) to the channel, on purpose, naming who shared it; never in a channel
    shared with another organisation, and never twice for one press repeated."""
    if not services.allow_share:
        return notice("Sharing is turned off for this workspace."), Outcome.DENIED
    refusal = outside_organisation(services, work)
    if refusal is not None:
        return notice(refusal), Outcome.DENIED
    once = OnceOnly.of(services, work, SHARE_ACTION, ref)
    seen = once.claim()
    if seen is not None:
        return notice(ALREADY_SHARED[seen]), Outcome.ALREADY_DONE
    try:
        view, as_of = view_of(services, work, ref)
        work.answered_with(view)
        summary = summary_message(view, services.links, work.user_id)
        if as_of:
            summary["blocks"].append(context(f"Figures as of {as_of}"))
        services.slack.chat_postMessage(channel=work.channel_id, **summary)
    except SlackApiError as error:
        once.settle(None)
        code = error.response.get("error")
        event(logger, "share_failed", logging.WARNING, request_id=work.request_id, error=code)
        hint = (
            " Invite me with `/invite @credits` first."
            if code in ("not_in_channel", "channel_not_found")
            else ""
        )
        return notice(f"I can't post in this channel.{hint}"), Outcome.SHARE_FAILED
    except OSError as error:  # a timeout or a dropped connection: the summary may have been posted
        once.settle("unsure")
        slack_timed_out(work, "share", error)
        return notice(SHARE_UNCONFIRMED), Outcome.SHARE_FAILED
    except BaseException:
        once.settle(None)
        raise
    once.settle("done")
    return notice("Shared the summary in this channel."), Outcome.SHARED


@dataclass(frozen=True)
class Button:
    """What a button does, and whether its answer replaces the message it was pressed on (a page does; the
    export and share notes leave the answer in place)."""

    action_id: str | re.Pattern[str]
    handle: Callable[[Services, Work, ViewRef], Answer]
    replaces_answer: bool


BUTTONS = (
    Button(re.compile(rf"^{SHOW_ACTION}_\d+$"), show, replaces_answer=True),
    Button(NEWER_ACTION, show, replaces_answer=True),
    Button(OLDER_ACTION, show, replaces_answer=True),
    Button(EXPORT_ACTION, export_csv, replaces_answer=False),
    Button(SHARE_ACTION, share, replaces_answer=False),
)


def press(services: Services, button: Button, action: dict[str, Any], work: Work) -> None:
    """On the lookup pool: who pressed, whether they may, what the button's value asks for."""
    with services.metrics.lookup_in_flight():
        outcome = run(services, button, work, action)
    finish(services, work, outcome)


def run(services: Services, button: Button, work: Work, action: dict[str, Any]) -> Outcome:
    decision = access(services, work, may_ask_slack=True)
    if not decision.allowed:
        reply(services, denial(services, decision), work, replace=False)
        return Outcome.DENIED
    ref = ViewRef.decode(action.get("value"))
    if ref is None:
        reply(services, notice(STALE_BUTTON), work, replace=False)
        return Outcome.INVALID
    refusal = over_limit(services, work)
    if refusal is not None:
        reply(services, refusal, work, replace=False)
        return Outcome.RATE_LIMITED
    work.client_id = ref.client_id
    message, outcome = guarded(services, work, lambda: button.handle(services, work, ref))
    reply(services, message, work, replace=button.replaces_answer)
    return outcome


def register(app: App, services: Services, pool: Executor) -> None:
    for button in BUTTONS:
        app.action(button.action_id)(presser(services, button, pool))


def presser(
    services: Services, button: Button, pool: Executor
) -> Callable[[Ack, dict[str, Any], dict[str, Any]], None]:
    """The listener of one button, with the arguments Bolt injects by name: acknowledge at once; the press
    is now owed an answer, and goes to the lookup pool."""

    def pressed(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        work = Work.of_action(body, action)
        promise_answer(services, work)
        start(pool, work, lambda: press(services, button, action, work))

    return pressed
