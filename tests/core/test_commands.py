"""Parsing what follows `/credits`: clients by id, email or search, filters, help and every refusal."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.commands import (
    HELP,
    MAX_CLIENT_ID,
    MAX_LAST,
    MAX_TEXT,
    USAGE,
    ByEmail,
    ById,
    BySearch,
    Invalid,
    Lookup,
    ShowHelp,
    parse_client,
    parse_client_id,
    parse_command,
    parse_filters,
    slack_text,
)
from bot.core.credits import NO_FILTERS, Filters


@pytest.mark.parametrize(
    ("text", "client_id"),
    [("42", 42), ("#42", 42), (" 7 ", 7), ("1", 1), (str(MAX_CLIENT_ID), MAX_CLIENT_ID), ("007", 7)],
)
def test_client_ids_within_whmcs_range(text: str, client_id: int) -> None:
    assert parse_client_id(text) == client_id


@pytest.mark.parametrize("text", ["0", str(MAX_CLIENT_ID + 1), "-1", "+1", "#", "", "4 2", "٤٢", "1" * 13])
def test_not_a_client_id(text: str) -> None:
    assert parse_client_id(text) is None


@pytest.mark.parametrize("text", ["help", "HELP", "  Help ", "", "   ", "-h", "--help", "?"])
def test_help_words(text: str) -> None:
    assert parse_command(text) == ShowHelp()


def test_none_is_help() -> None:
    assert parse_command(None) == ShowHelp()  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("42", ById(42)),
        ("#42", ById(42)),
        ("jane@example.com", ByEmail("jane@example.com")),
        ("acme", BySearch("acme")),
        ("Jane   Doe", BySearch("Jane Doe")),
        ("Last Minute Ltd", BySearch("Last Minute Ltd")),
        ("ab", BySearch("ab")),
    ],
)
def test_client_forms(text: str, query: object) -> None:
    assert parse_command(text) == Lookup(query, NO_FILTERS)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("0", f"client ids are whole numbers from 1 to {MAX_CLIENT_ID:,}"),
        ("-5", f"client ids are whole numbers from 1 to {MAX_CLIENT_ID:,}"),
        ("#", f"client ids are whole numbers from 1 to {MAX_CLIENT_ID:,}"),
        ("a@b", "that is not an email address"),
        ("jane @example.com", "that is not an email address"),
        ("x", "a search needs at least two letters or digits"),
        ("!!", "a search needs at least two letters or digits"),
        ("a" * 101, "that search is too long"),
    ],
)
def test_client_refusals(text: str, problem: str) -> None:
    assert parse_client(text) == Invalid(problem)


def test_a_search_of_exactly_one_hundred_characters_is_allowed() -> None:
    assert parse_client("a" * 100) == BySearch("a" * 100)


def test_filters_after_the_client() -> None:
    assert parse_command("42 since 2024-01-01 until 2024-06-30 last 50") == Lookup(
        ById(42), Filters(since=date(2024, 1, 1), until=date(2024, 6, 30), last=50)
    )
    assert parse_command("acme LAST 5") == Lookup(BySearch("acme"), Filters(last=5))


def test_filter_words_are_read_only_after_the_first_word() -> None:
    assert parse_command("last minute") == Lookup(BySearch("last minute"))
    assert parse_command("since 2024-01-01") == Lookup(BySearch("since 2024-01-01"))


@pytest.mark.parametrize(
    ("words", "problem"),
    [
        (["soon", "1"], "I don't know the filter 'soon'"),
        (["since"], "'since' needs a value"),
        (["LAST"], "'last' needs a value"),
        (["last", "0"], f"'last' takes a number of entries from 1 to {MAX_LAST:,}"),
        (["last", str(MAX_LAST + 1)], f"'last' takes a number of entries from 1 to {MAX_LAST:,}"),
        (["last", "five"], f"'last' takes a number of entries from 1 to {MAX_LAST:,}"),
        (["since", "yesterday"], "'since' takes a date like 2024-01-31"),
        (["until", "2024-13-01"], "'until' takes a date like 2024-01-31"),
        (["since", "2024-W01-1"], "'since' takes a date like 2024-01-31"),
        (["since", "20240101"], "'since' takes a date like 2024-01-31"),
        (["since", "2024-02-01", "until", "2024-01-01"], "'since' is after 'until'"),
    ],
)
def test_filter_refusals(words: list[str], problem: str) -> None:
    assert parse_filters(words) == Invalid(problem)


def test_the_same_day_both_ways_is_one_day() -> None:
    day = date(2024, 1, 1)
    assert parse_filters(["since", "2024-01-01", "until", "2024-01-01"]) == Filters(since=day, until=day)


def test_a_later_filter_word_wins() -> None:
    assert parse_filters(["last", "5", "last", "7"]) == Filters(last=7)


def test_no_words_are_no_filters() -> None:
    assert parse_filters([]) == NO_FILTERS


def test_far_too_long_text_is_refused_before_parsing() -> None:
    assert parse_command("4" * (MAX_TEXT + 1)) == Invalid("that is far too long")
    assert isinstance(parse_command("a" * MAX_TEXT), Invalid)  # a search over 100 characters


def test_an_invalid_client_is_reported_before_its_filters() -> None:
    assert parse_command("0 last 0") == Invalid(f"client ids are whole numbers from 1 to {MAX_CLIENT_ID:,}")


def test_usage_and_help_name_every_form() -> None:
    for form in ("`/credits 42`", "`/credits #42`", "`/credits jane@example.com`", "`/credits acme`"):
        assert form in USAGE
    assert "`since 2024-01-01`, `until 2024-06-30`, `last 50`" in USAGE
    assert HELP.startswith("*/credits* shows a WHMCS client's credit log")
    assert HELP.endswith("Only you see the answer.")


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
