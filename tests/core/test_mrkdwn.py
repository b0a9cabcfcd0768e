"""Slack mrkdwn: escaping its three control characters, and clipping that never breaks an escape."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.core.mrkdwn import clip, clip_escaped, escape


def test_only_the_three_control_characters_are_escaped() -> None:
    assert (
        escape("<!channel> & <@U1> *bold* _it_ `code`")
        == "&lt;!channel&gt; &amp; &lt;@U1&gt; *bold* _it_ `code`"
    )
    assert escape("&amp;") == "&amp;amp;", "text is escaped as it is, even when it looks escaped"


def test_clip_flattens_white_space_and_marks_what_it_cut() -> None:
    assert clip("  a\n b\t c ", 10) == "a b c"
    assert clip("abcdef", 6) == "abcdef"
    assert clip("abcdefg", 6) == "abcde…"


def test_clip_escaped_never_cuts_an_escape_in_half() -> None:
    assert clip_escaped("a<b", 10) == "a&lt;b"
    assert clip_escaped("ab<cd", 6) == "ab…", "`&lt;` would not fit whole before the ellipsis"
    assert clip_escaped("ab<cd", 7) == "ab&lt;…"
    assert clip_escaped("x\n\ny", 5) == "x y"


@given(st.text(), st.integers(1, 60))
def test_clipped_escaped_text_fits_and_holds_only_whole_escapes(text: str, limit: int) -> None:
    clipped = clip_escaped(text, limit)
    assert len(clipped) <= limit
    assert "<" not in clipped and ">" not in clipped
    assert "&" not in clipped.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "")
