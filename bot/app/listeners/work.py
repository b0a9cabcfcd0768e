"""What every entry point shares: who asked, access and rate checks, turning failures into one sentence,
replying, and the one operator log line and audit record per request.

Each Slack request is acknowledged at once and worked on on the lookup pool (`start`); this module is the
part of that work that does not depend on which button or command started it.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.app.services import Services
from bot.app.view_cache import Viewer
from bot.core.access import Decision, Verdict, check_access
from bot.core.blocks import Message, credit_log_message, notice
from bot.core.errors import WhmcsError
from bot.core.messages import RESTARTED, denial_text, failure_text, over_limit_text, unexpected_text
from bot.core.outcomes import Outcome
from bot.core.slack_limits import message_problems
from bot.core.table import FALLBACK, REFUSED_TABLE, sendable, with_table
from bot.core.views import PAGE_SIZE, CreditView
from bot.slack.responses import ResponseUrlError
from bot.telemetry.logs import event

logger = logging.getLogger("credits.command")


@dataclass
class Work:
    """One request: who asked what, where, its reference, when it started, and what its records will say."""

    kind: str
    user_id: str
    channel_id: str
    team_id: str | None = None
    user_name: str | None = None
    asked: str | None = None
    response_url: str = ""
    request_id: str = field(default_factory=lambda: secrets.token_hex(6))
    started: float = field(default_factory=time.monotonic)
    client_id: int | None = None
    client_name: str | None = None
    entries: int | None = None
    offset: int | None = None
    whmcs_ms: int | None = None
    superseded: bool = False
    answer_lost: bool = False
    trigger_id: str = ""
    direct: bool = False
    """The answer goes to the person as a direct message from the bot (the picker opened from the shortcut
    or the Home tab), not through a response_url."""

    def answered_with(self, view: CreditView) -> None:
        """What the records say about the answer: which client, who they are, how many entries were shown."""
        self.client_id = view.client_id
        self.entries = view.shown.count
        if view.details is not None:
            self.client_name = view.details.name

    def viewer(self, client_id: int) -> Viewer:
        """Whom a lookup kept for its buttons may serve: this person, in this workspace, for this client."""
        return (self.team_id or "", self.user_id, client_id)

    def log_fields(self) -> dict[str, Any]:
        """The answer's fields for the operator line, those that are known."""
        known = {
            "client": self.client_id,
            "entries": self.entries,
            "client_name": self.client_name,
            "offset": self.offset,
            "whmcs_ms": self.whmcs_ms,
        }
        return {name: value for name, value in known.items() if value is not None}

    @classmethod
    def of_command(cls, command: dict[str, Any]) -> Work:
        return cls(
            "command",
            command.get("user_id", ""),
            command.get("channel_id", ""),
            command.get("team_id"),
            command.get("user_name"),
            (command.get("text") or "")[:200],
            command.get("response_url", ""),
            trigger_id=command.get("trigger_id", ""),
        )

    @classmethod
    def of_shortcut(cls, body: dict[str, Any]) -> Work:
        """A global shortcut or a Home tab button: a person, no channel; the answer is a direct message."""
        user = body.get("user") or {}
        return cls(
            "picker",
            user.get("id", ""),
            "",
            (body.get("team") or {}).get("id") or user.get("team_id"),
            user.get("username") or user.get("name"),
            str(body.get("callback_id") or "shortcut")[:200],
            trigger_id=body.get("trigger_id", ""),
            direct=True,
        )

    @classmethod
    def of_action(cls, body: dict[str, Any], action: dict[str, Any]) -> Work:
        user = body.get("user") or {}
        return cls(
            "button",
            user.get("id", ""),
            (body.get("channel") or {}).get("id", ""),
            (body.get("team") or {}).get("id") or user.get("team_id"),
            user.get("username") or user.get("name"),
            f"{action.get('action_id', '')} {action.get('value', '')}"[:200],
            body.get("response_url", ""),
        )


def access(services: Services, work: Work, *, may_ask_slack: bool) -> Decision:
    decision = check_access(
        services.policy, services.membership, work.user_id, work.channel_id, may_ask_slack=may_ask_slack
    )
    if not decision.allowed and decision.verdict is not Verdict.ASK_SLACK:
        event(
            logger,
            "access_denied",
            logging.WARNING,
            request_id=work.request_id,
            user=work.user_id,
            channel=work.channel_id,
            reason=decision.verdict.value,
        )
    return decision


def denial(services: Services, decision: Decision) -> Message:
    return notice(denial_text(decision.verdict, services.policy))


def over_limit(services: Services, work: Work) -> Message | None:
    """Counts one lookup against the person's limit; the refusal to send when they are over it."""
    verdict = services.limiter.acquire(work.user_id)
    if verdict.allowed:
        return None
    event(
        logger,
        "rate_limited",
        logging.WARNING,
        request_id=work.request_id,
        user=work.user_id,
        retry_after_s=round(verdict.retry_after),
    )
    return notice(over_limit_text(services.limiter.limit, verdict.retry_after))


Answer = tuple[Message, Outcome]
"""What a step gives back: the message for the person and how the request ended."""


def guarded(services: Services, work: Work, produce: Callable[[], Answer]) -> Answer:
    """Run WHMCS work; any failure becomes one sentence for the person and one log line for the operator."""
    whmcs_started = time.monotonic()
    try:
        return produce()
    except WhmcsError as error:
        event(
            logger,
            "whmcs_failed",
            logging.WARNING,
            request_id=work.request_id,
            kind=type(error).__name__,
            detail=error.message[:200],
        )
        return notice(failure_text(error, services.whmcs_timeout)), error.outcome
    except Exception as error:  # the person gets a reference; the operator a one-line cause
        log_unexpected(work, error)
        return notice(unexpected_text(work.request_id)), Outcome.ERROR
    finally:
        work.whmcs_ms = round((time.monotonic() - whmcs_started) * 1000)


def start(pool: Executor, work: Work, run: Callable[[], None]) -> None:
    """Hand what the acknowledgement promised to the lookup pool, as it is.

    Not a Bolt lazy listener: for one of those Bolt copies the whole request (it parses the body again and
    deep-copies the context) in the request thread before the acknowledgement is sent, which under a
    burst was much of an acknowledgement's own work. Whatever escapes `run` is logged in one line, as
    `guarded` would, since nobody waits on the future.
    """

    def running() -> None:
        try:
            run()
        except Exception as error:
            log_unexpected(work, error)

    pool.submit(running)


def log_unexpected(work: Work, error: Exception) -> None:
    """One line for the operator: the exception's type and where it was raised, never its message (it may
    quote a reply or a secret)."""
    where = traceback.extract_tb(error.__traceback__)[-1]
    event(
        logger,
        "unexpected_error",
        logging.ERROR,
        request_id=work.request_id,
        kind=type(error).__name__,
        at=f"{where.filename}:{where.lineno}",
    )


def promise_answer(services: Services, work: Work) -> None:
    """The request was acknowledged: should the process stop before it is answered, the drain tells its
    person "the bot restarted" and records it as interrupted."""
    services.acknowledged.promise(work.request_id, lambda: interrupted(services, work))


def interrupted(services: Services, work: Work) -> None:
    deliver(services, notice(RESTARTED), work, replace=True)
    record(services, work, Outcome.INTERRUPTED)


def reply(services: Services, message: Message, work: Work, *, replace: bool = True) -> None:
    """The request's answer, unless the drain already told its person that the bot restarted."""
    if not services.acknowledged.keep(work.request_id):
        work.superseded = True
        return
    deliver(services, message, work, replace=replace)


def credit_answer(services: Services, view: CreditView, *, allow_share: bool) -> Message:
    """The answer showing a client's log: with its page of entries as a table when CREDITS_ENTRY_TABLE is
    on (today's rendering rides along as the fallback), else today's rendering."""
    message = credit_log_message(view, services.links, allow_share=allow_share)
    if not services.entry_table:
        return message
    page = view.shown.entries[view.offset : view.offset + PAGE_SIZE]
    return with_table(message, page, view, services.links)


_table_refusal_logged = threading.Event()


def table_refused(work: Work, code: str | None) -> None:
    """Slack refused the table: logged once per process (every answer then falls back the same way)."""
    if not _table_refusal_logged.is_set():
        _table_refusal_logged.set()
        event(logger, "table_refused", logging.WARNING, request_id=work.request_id, error=code)


def deliver(services: Services, message: Message, work: Work, *, replace: bool) -> None:
    """Answer through the request's response_url (or a direct message); a message Slack would refuse is
    logged and simplified, and one whose table Slack refuses is sent again, once, without the table."""
    fallback: Message | None = message.get(FALLBACK)
    problems = message_problems(sendable(message))
    if problems and fallback is not None:
        event(
            logger,
            "table_over_limits",
            logging.ERROR,
            request_id=work.request_id,
            problems="; ".join(problems),
        )
        message, fallback = fallback, None
        problems = message_problems(message)
    if problems:
        event(
            logger,
            "message_over_limits",
            logging.ERROR,
            request_id=work.request_id,
            problems="; ".join(problems),
        )
        message, fallback = notice(message["text"]), None
    if work.direct:
        direct_message(services, message, work, fallback)
        return
    try:
        post_answer(services, work, sendable(message), replace)
    except ResponseUrlError as error:
        if fallback is not None and error.code in REFUSED_TABLE:
            table_refused(work, error.code)
            try:
                post_answer(services, work, fallback, replace)
                return
            except ResponseUrlError as again:
                error = again
        work.answer_lost = True  # Slack unreachable or the response_url used up: nobody left to tell
        event(logger, "respond_failed", logging.WARNING, request_id=work.request_id, reason=str(error))


def post_answer(services: Services, work: Work, message: Message, replace: bool) -> None:
    services.answer(work.response_url, {**message, "response_type": "ephemeral", "replace_original": replace})


def direct_message(services: Services, message: Message, work: Work, fallback: Message | None = None) -> None:
    """chat.postMessage to the person's id: Slack posts it in their direct message with the bot (the app's
    Messages tab), where it stays findable."""
    try:
        try:
            post_direct(services, sendable(message), work)
        except SlackApiError as error:
            code = error.response.get("error")
            if fallback is None or code not in REFUSED_TABLE:
                raise
            table_refused(work, code)
            post_direct(services, fallback, work)
    except (SlackApiError, OSError) as error:
        work.answer_lost = True
        reason = error.response.get("error") if isinstance(error, SlackApiError) else type(error).__name__
        event(
            logger, "direct_message_failed", logging.WARNING, request_id=work.request_id, reason=str(reason)
        )


def post_direct(services: Services, message: Message, work: Work) -> None:
    services.slack.chat_postMessage(
        channel=work.user_id,
        text=message["text"],
        blocks=message.get("blocks"),
        attachments=message.get("attachments"),
    )


DONE_IN_SLACK = frozenset({Outcome.EXPORTED, Outcome.SHARED})
"""Outcomes whose billing data reached Slack whether or not the note about it did: the audit keeps them."""


def finish(services: Services, work: Work, outcome: Outcome) -> None:
    """The one operator line, the one audit record and the metrics count per command or button press; an
    answer that never reached its person is `answer_lost`, not what it would have said."""
    if work.superseded:  # the drain recorded it as interrupted
        return
    if work.answer_lost and outcome not in DONE_IN_SLACK:
        outcome = Outcome.ANSWER_LOST
    if outcome is Outcome.OK and work.client_id is not None:
        services.history.add(work.user_id, work.client_id, work.client_name)
    record(services, work, outcome)


def record(services: Services, work: Work, outcome: Outcome) -> None:
    services.metrics.command(outcome)
    event(
        logger,
        work.kind,
        request_id=work.request_id,
        user=work.user_id,
        channel=work.channel_id,
        outcome=outcome.value,
        total_ms=round((time.monotonic() - work.started) * 1000),
        **work.log_fields(),
    )
    services.audit.record(
        {
            "request_id": work.request_id,
            "kind": work.kind,
            "team_id": work.team_id,
            "user_id": work.user_id,
            "user_name": work.user_name,
            "channel_id": work.channel_id,
            "asked": work.asked,
            "outcome": outcome.value,
            "client_id": work.client_id,
            "client_name": work.client_name,
            "entries": work.entries,
            "whmcs_ms": work.whmcs_ms,
        }
    )
