"""One sentence per failure, for the person in Slack: what happened and what to do, never internals."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from bot.core.access import AccessPolicy, Verdict
from bot.core.commands import COMMAND
from bot.core.errors import (
    ClientNotFound,
    WhmcsAuthError,
    WhmcsCredentialsPaused,
    WhmcsError,
    WhmcsIpBanned,
    WhmcsIpNotAllowed,
    WhmcsPermissionError,
    WhmcsReplyTooLarge,
    WhmcsUnavailable,
    WhmcsUnexpectedReply,
)
from bot.core.mrkdwn import escape


class SlackSentences:
    """What the person in Slack reads when WHMCS fails: what happened and what to do, never internals."""

    def __init__(self, whmcs_timeout: float) -> None:
        self.whmcs_timeout = whmcs_timeout

    def client_not_found(self, error: ClientNotFound) -> str:
        return f"No client {escape(error.client_ref_shown)} in WHMCS."

    def credentials_paused(self, error: WhmcsCredentialsPaused) -> str:
        return (
            "WHMCS rejected the bot's API credentials; tell a WHMCS administrator. To avoid WHMCS banning "
            f"this server, the bot will not ask WHMCS again before {minute_after(error.resumes_at)} UTC."
        )

    def auth(self, error: WhmcsAuthError) -> str:
        return "WHMCS rejected the bot's API credentials; tell a WHMCS administrator."

    def permission(self, error: WhmcsPermissionError) -> str:
        return (
            f"The bot's WHMCS API role does not allow the `{escape(error.action)}` action; "
            "ask a WHMCS administrator to add it to the role."
        )

    def ip_not_allowed(self, error: WhmcsIpNotAllowed) -> str:
        seen = f" (WHMCS saw {escape(error.ip)})" if error.ip else ""
        return f"This server's IP is not allowed by WHMCS{seen}; a WHMCS administrator must allow it."

    def ip_banned(self, error: WhmcsIpBanned) -> str:
        return (
            "WHMCS has banned this server's IP address, which locks out every API user of this server; a "
            "WHMCS administrator lifts the ban under Banned IPs (the API IP allow-list does not help)."
        )

    def unavailable(self, error: WhmcsUnavailable) -> str:
        if error.timed_out:
            return f"WHMCS didn't answer within {self.whmcs_timeout:g} s, try again shortly."
        return f"WHMCS can't be reached right now ({escape(error.message)}); try again shortly."

    def unexpected_reply(self, error: WhmcsUnexpectedReply) -> str:
        return "WHMCS answered with something unexpected; try again, and tell an admin if it persists."

    def reply_too_large(self, error: WhmcsReplyTooLarge) -> str:
        return (
            "This credit log is too large to show here "
            f"(WHMCS's reply passed {error.limit_bytes / 1e6:g} MB); an admin can see it in WHMCS."
        )

    def other(self, error: WhmcsError) -> str:
        return f"WHMCS refused the lookup: {escape(error.message[:300])}"


def minute_after(moment: datetime) -> str:
    """`HH:MM` of the first whole minute not before `moment`: a person who retries then is not refused."""
    rounded = moment.replace(second=0, microsecond=0)
    if rounded < moment:
        rounded += timedelta(minutes=1)
    return f"{rounded:%H:%M}"


def failure_text(error: WhmcsError, whmcs_timeout: float) -> str:
    return error.explain(SlackSentences(whmcs_timeout))


def denial_text(verdict: Verdict, policy: AccessPolicy) -> str:
    if verdict is Verdict.WRONG_CHANNEL:
        channels = ", ".join(f"<#{channel}>" for channel in sorted(policy.channels))
        return f"`{COMMAND}` only answers in {channels}."
    if verdict is Verdict.UNVERIFIED:
        return "I couldn't verify your access to billing data; try again in a moment."
    where = "the list of people allowed to see billing data (CREDITS_ALLOWED_USERS)"
    if policy.groups:
        where += " or to an allowed user group"
    return f"You're not allowed to look up billing credits; ask an admin to add you to {where}."


def unexpected_text(reference: str) -> str:
    return f"Something went wrong on our side (reference `{reference}`); an admin can find it in the logs."


def over_limit_text(limit: int, retry_after: float) -> str:
    if retry_after < 60:
        wait = f"{max(1, math.ceil(retry_after))} seconds"
    else:
        minutes = math.ceil(retry_after / 60)
        wait = f"{minutes} minute" + ("s" if minutes != 1 else "")
    return f"You've made {limit} lookups in 10 minutes; try again in {wait}."


STALE_BUTTON = "That button is no longer valid; run `/credits` again."
RESTARTED = "The bot restarted before it could answer; run `/credits` again."
