"""Parsing what a person typed after `/credits` (or gave the CLI): pure, total, never raises."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.settings import MAX_CLIENT_ID

COMMAND = "/credits"
USAGE = f"Usage: `{COMMAND} 42` or `{COMMAND} #42` (a WHMCS client id). `{COMMAND} help` explains more."
HELP = (
    f"*{COMMAND}* shows a WHMCS client's credit log, privately, to people allowed to see billing data.\n"
    f"• `{COMMAND} 42` or `{COMMAND} #42`: the credit log of client 42, newest entries first, "
    "with the total, credits in and credits out.\n"
    f"• `{COMMAND} help`: this message.\n"
    "Only you see the answer."
)
_CLIENT_ID = re.compile(r"#?(\d{1,12})")
MAX_TEXT = 500


@dataclass(frozen=True, slots=True)
class ShowHelp:
    pass


@dataclass(frozen=True, slots=True)
class LookupClient:
    client_id: int


@dataclass(frozen=True, slots=True)
class Invalid:
    """Input that is not a request; `problem` says briefly what is wrong with it."""

    problem: str


Command = ShowHelp | LookupClient | Invalid


def parse_client_id(text: str) -> int | None:
    """`42` or `#42` within WHMCS's client id range (a signed 32-bit integer), else None."""
    match = _CLIENT_ID.fullmatch(text.strip())
    if not match:
        return None
    client_id = int(match.group(1))
    return client_id if 1 <= client_id <= MAX_CLIENT_ID else None


def parse_command(text: str) -> Command:
    stripped = (text or "").strip()
    if stripped.lower() in ("", "help", "-h", "--help", "?"):
        return ShowHelp()
    if len(stripped) > MAX_TEXT:
        return Invalid("that is far too long for a client id")
    client_id = parse_client_id(stripped)
    if client_id is not None:
        return LookupClient(client_id)
    if _CLIENT_ID.fullmatch(stripped):
        return Invalid(f"client ids run from 1 to {MAX_CLIENT_ID}")
    return Invalid("that is not a client id")
