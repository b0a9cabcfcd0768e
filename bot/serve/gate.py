"""The gate in front of Bolt: a request Bolt could not read becomes a 4xx here, never a 500.

Bolt parses the body before it checks the signature, so a body it cannot parse (not UTF-8, `{` that is not
JSON, a `payload` of the wrong shape) or a timestamp header that is not a number would otherwise be a 500
and a traceback, for anyone who can reach the URL.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from http import HTTPStatus
from typing import Any

from slack_bolt import BoltRequest

from bot.core.numbers import whole_number
from bot.telemetry.logs import event

logger = logging.getLogger(__name__)

StartResponse = Callable[..., Any]


WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


EVENTS_PATH = "/slack/events"


MAX_BODY_BYTES = 64 * 1024


FORM = "application/x-www-form-urlencoded"
"""How Slack sends slash commands and interactivity."""
JSON = "application/json"
"""How Slack sends Events API requests (`app_home_opened`), the only JSON this app accepts."""
EVENT_TYPES = ("event_callback", "url_verification")


BOLT_INTERNAL_HEADERS = "x-slack-bolt-"
"""Bolt's own headers for re-invoking itself (lazy-only runs); Slack never sends them, so nobody else may."""


def _plain(start_response: StartResponse, status: HTTPStatus, text: str) -> list[bytes]:
    body = text.encode()
    start_response(
        f"{status.value} {status.phrase}",
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]


def content_length(environ: dict[str, Any]) -> int | None:
    """The declared body size; 0 when absent, None when it is not a whole number of bytes."""
    return whole_number(str(environ.get("CONTENT_LENGTH") or "0").strip())


def media_type(environ: dict[str, Any]) -> str:
    return str(environ.get("CONTENT_TYPE") or "").partition(";")[0].strip().lower()


def request_headers(environ: dict[str, Any]) -> dict[str, str | Sequence[str]]:
    """The HTTP headers as Bolt expects them (lower-case, dashes), without Bolt's internal ones."""
    headers: dict[str, str | Sequence[str]] = {}
    for key, value in environ.items():
        if key in ("CONTENT_LENGTH", "CONTENT_TYPE"):
            name = key.lower().replace("_", "-")
        elif key.startswith("HTTP_"):
            name = key.removeprefix("HTTP_").lower().replace("_", "-")
        else:
            continue
        if not name.startswith(BOLT_INTERNAL_HEADERS):
            headers[name] = str(value)
    return headers


OBJECTS = ("event", "view", "container", "message", "state")


OBJECTS_OR_IDS = ("user", "team", "enterprise", "channel")


LISTS_OF_OBJECTS = ("actions", "authorizations")


ACTION_TYPES = ("block_actions", "interactive_message")


def has_slacks_shape(body: dict[str, Any]) -> bool:
    """The parts of a request that Bolt reads before any listener runs have the types Slack sends.

    Bolt's own middleware assumes them (`body["actions"][0].get(...)`, `body["event"].get(...)`) and fails
    with a 500 when a signed body has, say, `"view": 5` or `"actions": []`.
    """
    if any(not isinstance(body.get(key, {}), dict) for key in OBJECTS):
        return False
    if any(not isinstance(body.get(key), dict | str | None) for key in OBJECTS_OR_IDS):
        return False
    if body.get("type") in ACTION_TYPES and "actions" not in body:
        return False
    for key in LISTS_OF_OBJECTS:
        items = body.get(key, [{}])
        if not (isinstance(items, list) and items and all(isinstance(item, dict) for item in items)):
            return False
    return True


def is_event(body: str) -> bool:
    """An Events API request as Slack sends it: a JSON object of an event type, its event an object."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return False
    if not isinstance(parsed, dict) or parsed.get("type") not in EVENT_TYPES:
        return False
    return parsed.get("type") != "event_callback" or isinstance(parsed.get("event"), dict)


def bolt_request(body: str, environ: dict[str, Any]) -> BoltRequest | None:
    """Bolt's view of the request, or None when Bolt cannot read the body.

    Slack sends slash commands and interactivity as forms, but Bolt reads any body starting with `{` as
    JSON: such a body is refused here unless it came as JSON (an event, see `is_event`), as is one whose
    `payload` Bolt fails to parse or whose parts do not have the types Slack sends.
    """
    if body.startswith("{") != (media_type(environ) == JSON):
        return None
    try:
        query = environ.get("QUERY_STRING", "")
        request = BoltRequest(body=body, query=query, headers=request_headers(environ))
    except Exception as error:  # whatever Bolt's parser trips on, the body is at fault, not the server
        event(logger, "unreadable_request", kind=type(error).__name__)
        return None
    return request if has_slacks_shape(request.body) else None
