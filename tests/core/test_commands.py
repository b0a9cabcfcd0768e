"""A slash command's text as Slack delivers it: `&`, `<`, `>` escaped, emails possibly as Slack markup."""

from __future__ import annotations

import pytest

from bot.core.commands import ByEmail, BySearch, Invalid, Lookup, parse_command, slack_text
from bot.core.credits import Filters


@pytest.mark.parametrize(
    ("delivered", "typed"),
    [
        ("Smith &amp; Sons", "Smith & Sons"),
        ("&lt;b&gt;bold&lt;/b&gt;", "<b>bold</b>"),
        ("AT&amp;amp;T", "AT&amp;T"),  # a typed `&amp;` stays what was typed
        ("<mailto:jane@example.com|jane@example.com>", "jane@example.com"),
        ("<mailto:jane@example.com> since 2024-01-01", "jane@example.com since 2024-01-01"),
        ("no markup at all", "no markup at all"),
    ],
)
def test_slack_text_is_what_the_person_typed(delivered: str, typed: str) -> None:
    assert slack_text(delivered) == typed


def test_an_escaped_search_is_searched_for_as_typed() -> None:
    assert parse_command("Smith &amp; Sons") == Lookup(BySearch("Smith & Sons"))


def test_slack_markup_for_an_email_is_an_email_lookup() -> None:
    command = parse_command("<mailto:jane@example.com|jane@example.com> last 5")
    assert command == Lookup(ByEmail("jane@example.com"), Filters(last=5))


def test_markup_with_a_different_label_is_not_taken_for_the_email() -> None:
    assert isinstance(parse_command("<mailto:jane@example.com|bob@example.com>"), Invalid)
