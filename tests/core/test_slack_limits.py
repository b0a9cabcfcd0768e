"""The checker of Slack's message limits: every limit it knows, one problem sentence each."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.slack_limits import (
    MAX_ACTION_ELEMENTS,
    MAX_BLOCKS,
    MAX_BUTTON_TEXT,
    MAX_BUTTON_VALUE,
    MAX_FALLBACK_TEXT,
    MAX_FIELD_TEXT,
    MAX_FIELDS,
    MAX_SECTION_TEXT,
    MAX_TOTAL_TEXT,
    message_problems,
)


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(action_id: str, text: str = "Go", value: str = "v") -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
    }


def test_a_message_within_every_limit_has_no_problems() -> None:
    message = {
        "text": "fallback",
        "blocks": [
            section("hello"),
            {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Total*\n1"}]},
            {"type": "divider"},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "note"}]},
            {"type": "actions", "elements": [button("a"), button("b")]},
            {**section("pick"), "accessory": button("c")},
        ],
    }
    assert message_problems(message) == []


def test_the_limits_are_slacks() -> None:
    assert (MAX_BLOCKS, MAX_SECTION_TEXT, MAX_FIELDS, MAX_FIELD_TEXT) == (50, 3000, 10, 2000)
    assert (MAX_TOTAL_TEXT, MAX_FALLBACK_TEXT, MAX_BUTTON_TEXT, MAX_BUTTON_VALUE) == (12_000, 4000, 75, 2000)
    assert MAX_ACTION_ELEMENTS == 25


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        ({"blocks": []}, "no top-level text fallback"),
        ({"text": "", "blocks": []}, "no top-level text fallback"),
        ({"text": 5}, "no top-level text fallback"),
        ({"text": "x" * (MAX_FALLBACK_TEXT + 1)}, "top-level text too long"),
        (
            {"text": "t", "blocks": [{"type": "divider"}] * (MAX_BLOCKS + 1)},
            f"51 blocks (at most {MAX_BLOCKS})",
        ),
        (
            {"text": "t", "blocks": [section("x" * (MAX_SECTION_TEXT + 1))]},
            f"block 0: section text over {MAX_SECTION_TEXT} characters",
        ),
        (
            {"text": "t", "blocks": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}]},
            f"block 0: 11 fields (at most {MAX_FIELDS})",
        ),
        (
            {
                "text": "t",
                "blocks": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}],
            },
            f"block 0: a field over {MAX_FIELD_TEXT} characters",
        ),
        ({"text": "t", "blocks": [{"type": "section"}]}, "block 0: section without text or fields"),
        (
            {"text": "t", "blocks": [{"type": "actions", "elements": [button(f"b{n}") for n in range(26)]}]},
            "block 0: 26 elements",
        ),
        (
            {"text": "t", "blocks": [{"type": "actions", "elements": [button("a", text="x" * 76)]}]},
            f"block 0: button text over {MAX_BUTTON_TEXT} characters",
        ),
        (
            {
                "text": "t",
                "blocks": [{"type": "divider"}, {**section("s"), "accessory": button("a", value="v" * 2001)}],
            },
            f"block 1: button value over {MAX_BUTTON_VALUE} characters",
        ),
        (
            {
                "text": "t",
                "blocks": [
                    {"type": "actions", "elements": [button("a")]},
                    {**section("s"), "accessory": button("a")},
                ],
            },
            "duplicate action_id",
        ),
    ],
)
def test_each_broken_limit_is_named(message: dict[str, Any], problem: str) -> None:
    assert problem in message_problems(message)


def test_block_text_is_counted_over_the_whole_message_except_names_and_styles() -> None:
    blocks = [section("x" * 2500) for _ in range(5)]
    assert message_problems({"text": "t", "blocks": blocks}) == [
        f"12500 characters of block text (at most about {MAX_TOTAL_TEXT})"
    ]
    styled = {**button("a" * 5000), "style": "primary" * 1000}
    assert message_problems({"text": "t", "blocks": [{"type": "actions", "elements": [styled]}]}) == []


def test_every_problem_is_listed_not_only_the_first() -> None:
    message = {"blocks": [{"type": "section"}, section("x" * 3001)]}
    assert message_problems(message) == [
        "no top-level text fallback",
        "block 0: section without text or fields",
        "block 1: section text over 3000 characters",
    ]


def test_elements_that_are_not_buttons_are_not_checked_as_buttons() -> None:
    image = {"type": "image", "image_url": "https://example.com/x.png", "alt_text": "x"}
    assert message_problems({"text": "t", "blocks": [{"type": "actions", "elements": [image]}]}) == []
