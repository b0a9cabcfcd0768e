"""Slack's token error codes, one table for its two readers: Socket Mode stops retrying on each of them, and
`check` tells the operator which fix each one needs."""

from __future__ import annotations

import pytest

from bot.check import slack_refusal
from bot.slack.token_errors import REFUSED_TOKEN, TOKEN_ERRORS, WRONG_TOKEN_TYPE


def test_every_token_error_is_either_refused_or_the_wrong_type() -> None:
    assert REFUSED_TOKEN | {WRONG_TOKEN_TYPE} == TOKEN_ERRORS
    assert WRONG_TOKEN_TYPE not in REFUSED_TOKEN
    assert {"invalid_auth", "token_revoked"} <= REFUSED_TOKEN


@pytest.mark.parametrize("code", sorted(REFUSED_TOKEN))
def test_a_refused_token_is_to_be_copied_again(code: str) -> None:
    assert slack_refusal("SLACK_BOT_TOKEN", code) == (
        f"Slack refused SLACK_BOT_TOKEN ({code}): copy it again from the app's settings, reinstall if revoked"
    )


def test_the_wrong_kind_of_token_is_named_as_such() -> None:
    assert slack_refusal("SLACK_APP_TOKEN", WRONG_TOKEN_TYPE) == (
        "SLACK_APP_TOKEN is the wrong kind of token (not_allowed_token_type)"
    )


def test_an_error_that_is_not_about_the_token_is_only_reported() -> None:
    assert "ratelimited" not in TOKEN_ERRORS and "internal_error" not in TOKEN_ERRORS
    assert (
        slack_refusal("SLACK_BOT_TOKEN", "internal_error")
        == "Slack answered internal_error to SLACK_BOT_TOKEN"
    )
