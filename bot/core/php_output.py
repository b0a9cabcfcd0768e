"""A WHMCS reply body whose JSON is wrapped in PHP's own error output, as installs with `display_errors` on
send it: pure, so every shape can be tested without a server.

PHP prints each message where it happens, before (and, from shutdown functions, after) the JSON WHMCS
echoes. With `html_errors` on (PHP's default for web requests) a message reads
`<br />\\n<b>Deprecated</b>:  Creation of … in <b>/path/file.php</b> on line <b>12</b><br />\\n`;
with it off, `\\nDeprecated: … in /path/file.php on line 12\\n` (`PHP Deprecated: …` where PHP also logs to
stderr). Only those messages may surround the JSON object: anything else (an error page, a login page that
happens to hold a JSON object) is not a WHMCS reply.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

_KINDS = (
    r"(?:PHP )?(?:Deprecated|Warning|Notice|Strict Standards|Parse error|Fatal error|"
    r"Recoverable fatal error|Catchable fatal error|User Deprecated|User Warning|User Notice)"
)
_HTML_MESSAGE = re.compile(
    r"\s*(?:<br\s*/?>\s*)?<b>" + _KINDS + r"</b>:[^\n]*? on line <b>\d+</b>(?:<br\s*/?>)?[ \t]*\r?\n?"
)
_TEXT_MESSAGE = re.compile(r"\s*" + _KINDS + r":[^\n]*? on line \d+[ \t]*(?:\r?\n|$)")
_TAGS = re.compile(r"<[^<>]{0,40}>")
_DECODER = json.JSONDecoder(parse_float=Decimal)
MESSAGE_LIMIT = 300
"""How much of PHP's first message the operator is shown: the kind, the message, the file and line."""


@dataclass(frozen=True, slots=True)
class JsonReply:
    """The JSON a body held, and the first line PHP printed around it (None when it printed nothing)."""

    value: object
    php_message: str | None = None


def _message_at(text: str, position: int) -> re.Match[str] | None:
    return _HTML_MESSAGE.match(text, position) or _TEXT_MESSAGE.match(text, position)


def _shown(message: str) -> str:
    """`Deprecated: Creation of dynamic property … in /path/file.php on line 12`, as plain text."""
    plain = " ".join(html.unescape(_TAGS.sub("", message)).split())
    return plain if len(plain) <= MESSAGE_LIMIT else plain[: MESSAGE_LIMIT - 1] + "…"


ObjectHook = Callable[[dict[str, Any]], object]
"""What the decoder makes of each JSON object as it is decoded (json's `object_hook`)."""


def json_reply(text: str, hooks: Callable[[], ObjectHook] | None = None) -> JsonReply | None:
    """The JSON of a body, PHP's messages around it set aside; None when the body is not that.

    `text` is the decoded body with surrounding whitespace and any byte-order mark already removed.
    `hooks` gives a fresh object hook for each attempt at decoding (a failed first attempt must not leave
    its count or its memory to the second).
    """
    decoder = _DECODER if hooks is None else json.JSONDecoder(parse_float=Decimal, object_hook=hooks())
    try:
        return JsonReply(decoder.decode(text))
    except (ValueError, RecursionError):
        pass
    if hooks is not None:
        decoder = json.JSONDecoder(parse_float=Decimal, object_hook=hooks())
    messages: list[str] = []
    position = _skip_messages(text, 0, messages)
    if not text.startswith("{", position):
        return None
    try:
        value, position = decoder.raw_decode(text, position)
    except (ValueError, RecursionError):
        return None
    position = _skip_messages(text, position, messages)
    if not messages or text[position:].strip():
        return None
    return JsonReply(value, _shown(messages[0]))


def _skip_messages(text: str, position: int, messages: list[str]) -> int:
    """Past PHP's messages (and the whitespace between them) from `position`; each is added to `messages`."""
    while (found := _message_at(text, position)) is not None:
        messages.append(found.group(0))
        position = found.end()
    while position < len(text) and text[position].isspace():
        position += 1
    return position
