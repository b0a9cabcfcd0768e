"""One sentence per failure, for the person in Slack: what happened and what to do, never internals."""

from __future__ import annotations

from bot.access import AccessPolicy, Verdict
from bot.blocks import escape
from bot.commands import COMMAND
from bot.whmcs_replies import (
    ClientNotFound,
    WhmcsAuthError,
    WhmcsCredentialsPaused,
    WhmcsError,
    WhmcsIpNotAllowed,
    WhmcsPermissionError,
    WhmcsUnavailable,
    WhmcsUnexpectedReply,
)


def failure_text(error: WhmcsError, whmcs_timeout: float) -> str:
    if isinstance(error, ClientNotFound):
        return f"No client {escape(error.client_ref_shown)} in WHMCS."
    if isinstance(error, WhmcsCredentialsPaused):
        return (
            "WHMCS rejected the bot's API credentials; tell a WHMCS administrator. To avoid WHMCS banning "
            f"this server, the bot will not ask WHMCS again before {error.resumes_at:%H:%M} UTC."
        )
    if isinstance(error, WhmcsAuthError):
        return "WHMCS rejected the bot's API credentials; tell a WHMCS administrator."
    if isinstance(error, WhmcsPermissionError):
        return (
            f"The bot's WHMCS API role does not allow the `{escape(error.action)}` action; "
            "ask a WHMCS administrator to add it to the role."
        )
    if isinstance(error, WhmcsIpNotAllowed):
        seen = f" (WHMCS saw {escape(error.ip)})" if error.ip else ""
        return f"This server's IP is not allowed by WHMCS{seen}; a WHMCS administrator must allow it."
    if isinstance(error, WhmcsUnavailable):
        if error.timed_out:
            return f"WHMCS didn't answer within {whmcs_timeout:g} s, try again shortly."
        return f"WHMCS can't be reached right now ({escape(error.message)}); try again shortly."
    if isinstance(error, WhmcsUnexpectedReply):
        return "WHMCS answered with something unexpected; try again, and tell an admin if it persists."
    return f"WHMCS refused the lookup: {escape(error.message[:300])}"


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
