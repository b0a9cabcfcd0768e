"""The picker's pure parts: what a typed text asks for, options within Slack's limits, a submission."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.core.clients import ClientMatch
from bot.core.commands import ByEmail, ById, BySearch
from bot.core.credits import Filters
from bot.core.picker import (
    MAX_OPTION_TEXT,
    NO_CLIENT,
    Destination,
    Picked,
    client_options,
    notice_option,
    option_label,
    options_problems,
    picker_view,
    read_submission,
    search_for,
    search_key,
    view_problems,
)


def match(client_id: int, first: str = "Jane", last: str = "Doe", company: str = "Acme Ltd") -> ClientMatch:
    return ClientMatch(client_id, first, last, company, f"c{client_id}@example.com", "Active")


@pytest.mark.parametrize(
    ("typed", "query"),
    [
        ("42", ById(42)),
        ("#7", ById(7)),
        ("5", ById(5)),
        ("jane@example.com", ByEmail("jane@example.com")),
        ("  Jane   Doe ", BySearch("Jane Doe")),
        ("j", None),
        ("", None),
        ("0", None),
        ("@@", None),
        ("jane@", None),
    ],
)
def test_what_a_typed_text_asks_for(typed: str, query: object) -> None:
    assert search_for(typed) == query


def test_the_same_search_however_typed() -> None:
    assert search_key(BySearch("Jane Doe")) == search_key(BySearch("jane doe"))
    assert search_key(ByEmail("Jane@Example.com")) == search_key(ByEmail("jane@example.com"))
    assert search_key(ById(4)) != search_key(BySearch("4"))


def test_labels_keep_the_id_visible_however_long_the_name() -> None:
    assert option_label(match(42)) == "Jane Doe (Acme Ltd) · #42"
    assert option_label(match(43, company="")) == "Jane Doe · #43"
    assert option_label(match(44, "", "", "")) == "c44@example.com · #44"
    long = option_label(match(2_147_483_647, "J" * 200))
    assert len(long) <= MAX_OPTION_TEXT and long.endswith(" · #2147483647")


def test_options_stop_at_twenty_then_say_how_many_more() -> None:
    options = client_options([match(n) for n in range(1, 31)], 130)
    assert len(options) == 21 and options[-1]["value"] == NO_CLIENT
    assert options[-1]["text"]["text"] == "and 110 more: type more to narrow"
    assert options_problems(options) == []
    assert client_options([], 0)[0]["value"] == NO_CLIENT


def test_the_checker_names_what_slack_would_refuse() -> None:
    assert options_problems([]) != []
    assert options_problems(notice_option("x" * 300)) == []  # clipped by construction
    assert options_problems([{"text": {"type": "plain_text", "text": "x" * 76}, "value": "1"}]) != []
    assert options_problems(notice_option("ok") * 101) != []


def test_the_modal_carries_only_a_reference() -> None:
    view = picker_view("abc123")
    assert view["private_metadata"] == "abc123"
    assert view_problems(view) == []
    element = view["blocks"][0]["element"]
    assert element["type"] == "external_select" and element["min_query_length"] == 2
    assert [block["optional"] for block in view["blocks"]] == [False, True, True, True]


def test_a_destination_is_only_for_the_person_it_was_stored_for() -> None:
    stored = Destination("U1", "C1", "https://hooks.slack.com/x").as_json()
    assert Destination.of_json(stored, "U1") == Destination("U1", "C1", "https://hooks.slack.com/x")
    assert Destination.of_json(stored, "U2").direct_message
    assert Destination.of_json(None, "U1") == Destination("U1")
    assert Destination.of_json({"user": "U1", "channel": 5}, "U1").direct_message


def values(
    client: str | None, since: str | None = None, until: str | None = None, last: str | None = None
) -> dict[str, Any]:
    return {
        "client": {"credits_client": {"selected_option": None if client is None else {"value": client}}},
        "since": {"credits_since": {"selected_date": since}},
        "until": {"credits_until": {"selected_date": until}},
        "last": {"credits_last": {"value": last}},
    }


def test_a_submission_reads_as_the_typed_command_would() -> None:
    assert read_submission(values("42", "2024-01-01", "2024-06-30", " 50 ")) == Picked(
        42, Filters(since=date(2024, 1, 1), until=date(2024, 6, 30), last=50)
    )
    assert read_submission(values("42")) == Picked(42, Filters())


@pytest.mark.parametrize(
    ("submitted", "fields"),
    [
        (values(None), {"client"}),
        (values(NO_CLIENT), {"client"}),
        (values("0"), {"client"}),
        (values("99999999999"), {"client"}),
        (values("42", "2024-06-30", "2024-01-01"), {"until"}),
        (values("42", last="0"), {"last"}),
        (values("42", last="many"), {"last"}),
        ({}, {"client"}),
    ],
)
def test_a_submission_that_cannot_be_answered_says_where(submitted: dict[str, Any], fields: set[str]) -> None:
    errors = read_submission(submitted)
    assert isinstance(errors, dict) and set(errors) == fields
