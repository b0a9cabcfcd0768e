"""The client picker: the modal, the options its search offers as a person types, and reading a submission.

Pure: what to ask WHMCS for a typed text, how matches read as options, what one option says when there is
nothing to offer, and what a submitted modal asks for. Slack's limits on options and views are met here,
by construction, and checked by `options_problems` and `view_problems`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.core.clients import ClientMatch
from bot.core.commands import MAX_LAST, ByEmail, ById, BySearch, ClientQuery, Invalid, parse_client
from bot.core.credits import Filters
from bot.core.mrkdwn import clip
from bot.core.numbers import whole_number

PICKER_CALLBACK = "credits_picker"
"""The modal's callback_id, and the global shortcut's: one name for "the picker"."""
CLIENT_BLOCK = "client"
CLIENT_ACTION = "credits_client"
SINCE_BLOCK, SINCE_ACTION = "since", "credits_since"
UNTIL_BLOCK, UNTIL_ACTION = "until", "credits_until"
LAST_BLOCK, LAST_ACTION = "last", "credits_last"
MIN_QUERY = 2
OPTIONS_SHOWN = 20
SEARCH_DEADLINE_SECONDS = 2.5
"""Slack drops an options answer after 3 s; the search gives up before that, leaving time to answer."""
REUSE_SECONDS = 60.0
NO_CLIENT = "none"
"""The value of an option that says something instead of naming a client; submitting it is refused."""

MAX_OPTIONS = 100
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_VIEW_BLOCKS = 100
MAX_METADATA = 3000
MAX_TITLE = 24

Option = dict[str, Any]
View = dict[str, Any]

TYPE_MORE = "Type at least 2 letters, an id or an email"
SLOW = "WHMCS is slow to answer: type the client id instead"
FAILING = "WHMCS can't search right now: type the client id instead"
NOTHING = "No client matches; try the start of a name or email"
PICK_ONE = "Pick a client from the list (type 2 letters, an id or an email)."


def option(text: str, value: str) -> Option:
    return {
        "text": {"type": "plain_text", "text": clip(text, MAX_OPTION_TEXT)},
        "value": value[:MAX_OPTION_VALUE],
    }


def notice_option(text: str) -> list[Option]:
    """One option that explains, never an empty list without a word."""
    return [option(text, NO_CLIENT)]


def search_for(typed: str) -> ClientQuery | None:
    """What the typed text asks WHMCS for: an id (offered directly), an email, or a search; None while it is
    too short or cannot name a client."""
    text = " ".join(typed.split())
    if len(text) < MIN_QUERY and not text.lstrip("#").isdigit():
        return None
    query = parse_client(text)
    return None if isinstance(query, Invalid) else query


def search_key(query: ClientQuery) -> str:
    """The same search however it was typed (case, spaces): shared in flight and reused for a minute."""
    if isinstance(query, ById):
        return f"id:{query.client_id}"
    if isinstance(query, ByEmail):
        return f"email:{query.email.lower()}"
    assert isinstance(query, BySearch)
    return f"search:{query.text.lower()}"


def option_label(match: ClientMatch) -> str:
    """`Jane Doe (Acme Ltd) · #42`: the name clipped so that the id always shows."""
    person = match.person
    if person and match.companyname:
        name = f"{person} ({match.companyname})"
    else:
        name = person or match.companyname or match.email or "Client"
    suffix = f" · #{match.id}"
    return clip(name, MAX_OPTION_TEXT - len(suffix)) + suffix


def id_option(client_id: int) -> list[Option]:
    return [option(f"Client #{client_id}", str(client_id))]


def client_options(matches: list[ClientMatch], total: int) -> list[Option]:
    """At most OPTIONS_SHOWN clients, then one option saying how many more there are."""
    if not matches:
        return notice_option(NOTHING)
    shown = matches[:OPTIONS_SHOWN]
    options = [option(option_label(match), str(match.id)) for match in shown]
    if total > len(shown):
        options.append(option(f"and {total - len(shown):,} more: type more to narrow", NO_CLIENT))
    return options


def options_problems(options: list[Option]) -> list[str]:
    """Every Slack limit an options answer breaks; empty when Slack will show it."""
    problems = []
    if not options:
        problems.append("no options (the person would see an empty list without a word)")
    if len(options) > MAX_OPTIONS:
        problems.append(f"{len(options)} options (at most {MAX_OPTIONS})")
    for index, item in enumerate(options):
        if not 0 < len(item["text"]["text"]) <= MAX_OPTION_TEXT:
            problems.append(f"option {index}: text of {len(item['text']['text'])} characters")
        if not 0 < len(item["value"]) <= MAX_OPTION_VALUE:
            problems.append(f"option {index}: value of {len(item['value'])} characters")
    return problems


def _input(
    block_id: str, label: str, element: dict[str, Any], *, optional: bool, hint: str = ""
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": label},
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = {"type": "plain_text", "text": hint}
    return block


def picker_view(metadata: str) -> View:
    """The modal: the client (searched as the person types), then the optional since, until and last N.

    `metadata` is the reference to where the answer goes (see `Destination`); Slack gives it back on
    submit."""
    client_select = {
        "type": "external_select",
        "action_id": CLIENT_ACTION,
        "placeholder": {"type": "plain_text", "text": "Name, company, email or #id"},
        "min_query_length": MIN_QUERY,
    }
    return {
        "type": "modal",
        "callback_id": PICKER_CALLBACK,
        "title": {"type": "plain_text", "text": "Look up credits"},
        "submit": {"type": "plain_text", "text": "Look up"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": metadata[:MAX_METADATA],
        "blocks": [
            _input(
                CLIENT_BLOCK,
                "Client",
                client_select,
                optional=False,
                hint="WHMCS matches the start of a name, company or email; digits are a client id.",
            ),
            _input(SINCE_BLOCK, "Since", {"type": "datepicker", "action_id": SINCE_ACTION}, optional=True),
            _input(UNTIL_BLOCK, "Until", {"type": "datepicker", "action_id": UNTIL_ACTION}, optional=True),
            _input(
                LAST_BLOCK,
                "Last N entries",
                {
                    "type": "plain_text_input",
                    "action_id": LAST_ACTION,
                    "placeholder": {"type": "plain_text", "text": "e.g. 50"},
                    "max_length": 6,
                },
                optional=True,
            ),
        ],
    }


def notice_view(text: str) -> View:
    """A modal that only says something (a denial), for a shortcut that must answer with a view."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Look up credits"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }


def view_problems(view: View) -> list[str]:
    problems = []
    if len(view.get("blocks", [])) > MAX_VIEW_BLOCKS:
        problems.append("too many blocks")
    if len(view["title"]["text"]) > MAX_TITLE:
        problems.append("title over 24 characters")
    if len(view.get("private_metadata", "")) > MAX_METADATA:
        problems.append("private_metadata over 3000 characters")
    return problems


@dataclass(frozen=True, slots=True)
class Destination:
    """Where a submitted picker's answer goes: the channel and response_url of the `/credits` that opened
    it (as today), or, from the shortcut or the Home tab, a direct message (`response_url` empty).

    The modal carries only a random reference to it (`private_metadata`); the destination itself stays in
    the shared store, so no URL the bot posts billing data to ever travels through Slack's client."""

    user_id: str
    channel_id: str = ""
    response_url: str = ""

    @property
    def direct_message(self) -> bool:
        return not self.response_url

    def as_json(self) -> dict[str, str]:
        return {"user": self.user_id, "channel": self.channel_id, "response_url": self.response_url}

    @classmethod
    def of_json(cls, value: object, user_id: str) -> Destination:
        """The stored destination, if it was stored for this person; else a direct message to them."""
        if not isinstance(value, dict) or value.get("user") != user_id:
            return cls(user_id)
        channel, url = value.get("channel"), value.get("response_url")
        if not isinstance(channel, str) or not isinstance(url, str):
            return cls(user_id)
        return cls(user_id, channel, url)


@dataclass(frozen=True, slots=True)
class Picked:
    client_id: int
    filters: Filters


def _state(values: dict[str, Any], block: str, action: str) -> dict[str, Any]:
    found = (values.get(block) or {}).get(action)
    return found if isinstance(found, dict) else {}


def _day(value: object) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        return None


def read_submission(values: dict[str, Any]) -> Picked | dict[str, str]:
    """The client and filters a submitted modal asks for, or the errors to show next to its fields
    (Slack's `response_action: errors`, by block_id)."""
    errors: dict[str, str] = {}
    selected = _state(values, CLIENT_BLOCK, CLIENT_ACTION).get("selected_option") or {}
    raw = selected.get("value") if isinstance(selected, dict) else None
    client = parse_client(raw) if isinstance(raw, str) and raw.isdigit() else None
    if not isinstance(client, ById):
        errors[CLIENT_BLOCK] = PICK_ONE
    since = _day(_state(values, SINCE_BLOCK, SINCE_ACTION).get("selected_date"))
    until = _day(_state(values, UNTIL_BLOCK, UNTIL_ACTION).get("selected_date"))
    if since and until and since > until:
        errors[UNTIL_BLOCK] = "'Until' is before 'since'."
    typed_last = (_state(values, LAST_BLOCK, LAST_ACTION).get("value") or "").strip()
    last = whole_number(typed_last) if typed_last else None
    if typed_last and (last is None or not 1 <= last <= MAX_LAST):
        errors[LAST_BLOCK] = f"A number of entries from 1 to {MAX_LAST:,}."
    if errors or not isinstance(client, ById):
        return errors
    return Picked(client.client_id, Filters(since=since, until=until, last=last))
