"""Slack mrkdwn text: escaping its three control characters and clipping without breaking an escape."""

from __future__ import annotations


def escape(text: str) -> str:
    """Slack's three control characters; nothing else needs escaping in mrkdwn text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def clip_escaped(text: str, limit: int) -> str:
    """Escape, then shorten to `limit` characters without cutting an escape sequence in half."""
    flat = " ".join(text.split())
    escaped = escape(flat)
    if len(escaped) <= limit:
        return escaped
    kept, used = [], 0
    for char in flat:
        piece = escape(char)
        if used + len(piece) > limit - 1:
            break
        kept.append(piece)
        used += len(piece)
    return "".join(kept) + "…"
