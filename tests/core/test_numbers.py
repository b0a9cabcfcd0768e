"""Numbers read from text (command words, HTTP headers): ASCII digits only, few enough to be a real size."""

from __future__ import annotations

import pytest

from bot.core.numbers import whole_number


@pytest.mark.parametrize(("text", "number"), [("0", 0), ("42", 42), ("007", 7), ("9" * 18, 10**18 - 1)])
def test_ascii_digits_are_a_whole_number(text: str, number: int) -> None:
    assert whole_number(text) == number


@pytest.mark.parametrize(
    "text", ["", " 1", "1 ", "-1", "+1", "1.0", "1e3", "\uff14\uff12", "\u0663", "9" * 19, "x"]
)
def test_anything_else_is_not(text: str) -> None:
    assert whole_number(text) is None
