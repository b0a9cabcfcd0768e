"""Numbers that arrive as text (command words, HTTP headers): read strictly, never by int() alone."""

from __future__ import annotations


def whole_number(text: str) -> int | None:
    """ASCII digits, few enough for int() (which refuses over 4,300 digits) and for any real size or time."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None
