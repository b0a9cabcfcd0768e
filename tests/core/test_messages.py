"""The sentences the person in Slack reads: one per failure, denial and limit, never internals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.access import AccessPolicy, Verdict
from bot.core.errors import (
    ClientNotFound,
    WhmcsAuthError,
    WhmcsCredentialsPaused,
    WhmcsError,
    WhmcsIpBanned,
    WhmcsIpNotAllowed,
    WhmcsPermissionError,
    WhmcsUnavailable,
    WhmcsUnexpectedReply,
)
from bot.core.messages import STALE_BUTTON, denial_text, failure_text, over_limit_text, unexpected_text


@pytest.mark.parametrize(
    ("error", "sentence"),
    [
        (ClientNotFound("42"), "No client #42 in WHMCS."),
        (ClientNotFound("<jane>@example.com"), "No client &lt;jane&gt;@example.com in WHMCS."),
        (
            WhmcsAuthError("Authentication Failed"),
            "WHMCS rejected the bot's API credentials; tell a WHMCS administrator.",
        ),
        (
            WhmcsCredentialsPaused("Authentication Failed", datetime(2026, 1, 1, 9, 5, tzinfo=UTC)),
            "WHMCS rejected the bot's API credentials; tell a WHMCS administrator. To avoid WHMCS banning "
            "this server, the bot will not ask WHMCS again before 09:05 UTC.",
        ),
        (
            WhmcsPermissionError("Invalid Permissions", "getcredits"),
            "The bot's WHMCS API role does not allow the `getcredits` action; "
            "ask a WHMCS administrator to add it to the role.",
        ),
        (
            WhmcsIpNotAllowed("Invalid IP 203.0.113.9", "203.0.113.9"),
            "This server's IP is not allowed by WHMCS (WHMCS saw 203.0.113.9); "
            "a WHMCS administrator must allow it.",
        ),
        (
            WhmcsIpNotAllowed("Invalid IP", None),
            "This server's IP is not allowed by WHMCS; a WHMCS administrator must allow it.",
        ),
        (
            WhmcsIpBanned("IP Banned"),
            "WHMCS has banned this server's IP address, which locks out every API user of this server; a "
            "WHMCS administrator lifts the ban under Banned IPs (the API IP allow-list does not help).",
        ),
        (
            WhmcsCredentialsPaused("Authentication Failed", datetime(2026, 1, 1, 9, 5, 30, tzinfo=UTC)),
            "WHMCS rejected the bot's API credentials; tell a WHMCS administrator. To avoid WHMCS banning "
            "this server, the bot will not ask WHMCS again before 09:06 UTC.",
        ),
        (
            WhmcsUnavailable("read timed out", cause="timeout"),
            "WHMCS didn't answer within 2.5 s, try again shortly.",
        ),
        (
            WhmcsUnavailable("HTTP 502 <html>", cause="http_status"),
            "WHMCS can't be reached right now (HTTP 502 &lt;html&gt;); try again shortly.",
        ),
        (
            WhmcsUnexpectedReply("credits is a string"),
            "WHMCS answered with something unexpected; try again, and tell an admin if it persists.",
        ),
        (WhmcsError("Some <odd> refusal"), "WHMCS refused the lookup: Some &lt;odd&gt; refusal"),
    ],
)
def test_each_whmcs_failure_is_one_sentence(error: WhmcsError, sentence: str) -> None:
    assert failure_text(error, whmcs_timeout=2.5) == sentence


def test_whmcs_own_text_is_cut_to_three_hundred_characters() -> None:
    assert failure_text(WhmcsError("x" * 1000), 10) == "WHMCS refused the lookup: " + "x" * 300


def test_denials_say_what_to_do() -> None:
    users_only = AccessPolicy(users=frozenset({"U1"}), groups=())
    with_groups = AccessPolicy(users=frozenset(), groups=("S1",), channels=frozenset({"C2", "C1"}))
    assert denial_text(Verdict.NOT_ALLOWED, users_only) == (
        "You're not allowed to look up billing credits; ask an admin to add you to the list of people "
        "allowed to see billing data (CREDITS_ALLOWED_USERS)."
    )
    assert denial_text(Verdict.NOT_ALLOWED, with_groups).endswith(
        "(CREDITS_ALLOWED_USERS) or to an allowed user group."
    )
    assert denial_text(Verdict.WRONG_CHANNEL, with_groups) == "`/credits` only answers in <#C1>, <#C2>."
    assert denial_text(Verdict.UNVERIFIED, with_groups) == (
        "I couldn't verify your access to billing data; try again in a moment."
    )


@pytest.mark.parametrize(
    ("retry_after", "wait"),
    [
        (0.2, "1 seconds"),
        (12.2, "13 seconds"),
        (59.9, "60 seconds"),
        (60, "1 minute"),
        (61, "2 minutes"),
        (239, "4 minutes"),
        (600, "10 minutes"),
    ],
)
def test_over_the_limit_says_when_to_try_again(retry_after: float, wait: str) -> None:
    assert over_limit_text(30, retry_after) == f"You've made 30 lookups in 10 minutes; try again in {wait}."


def test_an_unexpected_failure_gives_a_reference_for_the_logs() -> None:
    assert unexpected_text("a1b2c3") == (
        "Something went wrong on our side (reference `a1b2c3`); an admin can find it in the logs."
    )
    assert STALE_BUTTON == "That button is no longer valid; run `/credits` again."
