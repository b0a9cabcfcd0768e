"""Parsing what a person typed after `/credits` (or gave the CLI): pure, total, never raises.

`/credits <client> [since YYYY-MM-DD] [until YYYY-MM-DD] [last N]`, where the client is an id (`42`,
`#42`), an email address, or words to search for. Filter words are only read after the client, so a
client called "Last Minute Ltd" is still found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bot.core.credits import NO_FILTERS, Filters
from bot.core.numbers import whole_number

MAX_CLIENT_ID = 2_147_483_647
"""WHMCS stores client ids as signed 32-bit integers."""
COMMAND = "/credits"
FORMS = f"`{COMMAND} 42`, `{COMMAND} #42`, `{COMMAND} jane@example.com` or `{COMMAND} acme`"
FILTER_FORMS = "`since 2024-01-01`, `until 2024-06-30`, `last 50`"
USAGE = f"Usage: {FORMS}, optionally followed by {FILTER_FORMS}. `{COMMAND} help` explains more."
HELP = (
    f"*{COMMAND}* shows a WHMCS client's credit log, privately, to people allowed to see billing data.\n"
    f"• `{COMMAND} 42` or `{COMMAND} #42`: client 42.\n"
    f"• `{COMMAND} jane@example.com`: the client with that email address.\n"
    f"• `{COMMAND} acme` or `{COMMAND} Jane Doe`: a search. WHMCS matches the *start* of the email, first "
    'name, last name, company name or "first last"; several matches give a list to choose from.\n'
    f"• Add {FILTER_FORMS} (or several) to narrow the entries: "
    f"`{COMMAND} 42 since 2024-01-01 until 2024-06-30`.\n"
    "The answer shows the client, their balance in WHMCS, the total of the log, and the entries newest "
    "first, with buttons to page, export CSV to a private message, or share a summary.\n"
    f"`{COMMAND}` alone, or the shortcut *Look up credits*, opens a picker that searches as you type.\n"
    "Only you see the answer."
)
MAX_TEXT = 500
MAX_LAST = 100_000
# How many matches a search asks WHMCS for and lists to choose from: here, not in lookups, so that the pure
# rendering in blocks can use it without importing the WHMCS edge (requests, redis).
SEARCH_LIMIT = 10
_CLIENT_ID = re.compile(r"#?(\d{1,12})", re.ASCII)
_NUMBER_LIKE = re.compile(r"[#+\-]?\d*", re.ASCII)
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_EMAIL = re.compile(r"[^@\s<>]{1,64}@[^@\s<>]{1,255}\.[^@\s<>.]{1,63}")
FILTER_WORDS = ("since", "until", "last")
_SLACK_EMAIL = re.compile(r"<mailto:([^\s<>|@]{1,64}@[^\s<>|@]{1,255})(?:\|\1)?>")


@dataclass(frozen=True, slots=True)
class ById:
    client_id: int


@dataclass(frozen=True, slots=True)
class ByEmail:
    email: str


@dataclass(frozen=True, slots=True)
class BySearch:
    text: str


ClientQuery = ById | ByEmail | BySearch


@dataclass(frozen=True, slots=True)
class ShowHelp:
    pass


@dataclass(frozen=True, slots=True)
class Lookup:
    query: ClientQuery
    filters: Filters = NO_FILTERS


@dataclass(frozen=True, slots=True)
class Invalid:
    """Input that is not a request; `problem` says briefly what is wrong with it."""

    problem: str


Command = ShowHelp | Lookup | Invalid


def parse_client_id(text: str) -> int | None:
    """`42` or `#42` within WHMCS's client id range (a signed 32-bit integer), else None."""
    match = _CLIENT_ID.fullmatch(text.strip())
    if not match:
        return None
    client_id = int(match.group(1))
    return client_id if 1 <= client_id <= MAX_CLIENT_ID else None


def parse_client(text: str) -> ClientQuery | Invalid:
    text = " ".join(text.split())
    if _NUMBER_LIKE.fullmatch(text):
        client_id = parse_client_id(text)
        if client_id is None:
            return Invalid(f"client ids are whole numbers from 1 to {MAX_CLIENT_ID:,}")
        return ById(client_id)
    if "@" in text:
        if " " in text or not _EMAIL.fullmatch(text):
            return Invalid("that is not an email address")
        return ByEmail(text)
    if len(text) < 2 or not any(char.isalnum() for char in text):
        return Invalid("a search needs at least two letters or digits")
    if len(text) > 100:
        return Invalid("that search is too long")
    return BySearch(text)


def parse_filters(words: list[str]) -> Filters | Invalid:
    since: date | None = None
    until: date | None = None
    last: int | None = None
    pairs = iter(words)
    for word in pairs:
        value = next(pairs, None)
        keyword = word.lower()
        if keyword not in FILTER_WORDS:
            return Invalid(f"I don't know the filter '{word}'")
        if value is None:
            return Invalid(f"'{keyword}' needs a value")
        if keyword == "last":
            last = whole_number(value)
            if last is None or not 1 <= last <= MAX_LAST:
                return Invalid(f"'last' takes a number of entries from 1 to {MAX_LAST:,}")
            continue
        try:  # the pattern first: Python 3.11's fromisoformat also reads week dates such as 2024-W01-1
            day = date.fromisoformat(value) if _DAY.fullmatch(value) else None
        except ValueError:
            day = None
        if day is None:
            return Invalid(f"'{keyword}' takes a date like 2024-01-31")
        if keyword == "since":
            since = day
        else:
            until = day
    if since and until and since > until:
        return Invalid("'since' is after 'until'")
    return Filters(since=since, until=until, last=last)


def slack_text(text: str) -> str:
    """What the person typed, from a slash command's `text` as Slack delivers it.

    Slack sends `&`, `<` and `>` as `&amp;`, `&lt;` and `&gt;` whatever the command's "escape" setting
    (its docs: "Escaping text" for slash commands), and, with escaping on, an email as
    `<mailto:jane@example.com|jane@example.com>`. Decoded once, so `Smith &amp; Sons` searches for
    `Smith & Sons` and a typed `&amp;` stays `&amp;`.
    """
    text = _SLACK_EMAIL.sub(lambda found: found.group(1), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def opens_picker(text: str | None) -> bool:
    """`/credits` alone opens the client picker (`/credits help` still explains the command)."""
    return not slack_text(text or "").strip()


def parse_command(text: str) -> Command:
    """A slash command's text as Slack delivers it (escaped, see `slack_text`) -> what to do."""
    stripped = slack_text(text or "").strip()
    if stripped.lower() in ("", "help", "-h", "--help", "?"):
        return ShowHelp()
    if len(stripped) > MAX_TEXT:
        return Invalid("that is far too long")
    words = stripped.split()
    first_filter = next(
        (n for n, word in enumerate(words) if n > 0 and word.lower() in FILTER_WORDS), len(words)
    )
    query = parse_client(" ".join(words[:first_filter]))
    if isinstance(query, Invalid):
        return query
    filters = parse_filters(words[first_filter:])
    if isinstance(filters, Invalid):
        return filters
    return Lookup(query, filters)
