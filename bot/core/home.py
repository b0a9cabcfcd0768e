"""The App Home tab: the picker's button, the person's own recent lookups, and how WHMCS is doing.

Pure: keeping the recent lookups (at most 10 a person, 30 days, ids and names only, never amounts), the
status line, and the Home view. The store that keeps them and the listener that publishes live outside.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.core.mrkdwn import clip, clip_escaped
from bot.core.views import ViewRef

RECENT_KEPT = 10
RECENT_SECONDS = 30 * 24 * 3600.0
HOME_PICKER_ACTION = "credits_home_picker"
HOME_SHOW_ACTION = "credits_home_show"
"""Followed by `_<n>`: each recent lookup's "Show again" button (action ids are unique within a view)."""
MAX_NAME = 120

View = dict[str, Any]


@dataclass(frozen=True, slots=True)
class RecentLookup:
    client_id: int
    name: str
    at: float
    """When, in seconds since the epoch (wall time: processes compare it)."""

    def as_json(self) -> dict[str, Any]:
        return {"id": self.client_id, "name": self.name, "at": self.at}


def recent_of_json(value: object, now: float) -> list[RecentLookup]:
    """What the store kept, newest first, without anything unreadable or older than 30 days."""
    if not isinstance(value, list):
        return []
    found = []
    for item in value:
        if not isinstance(item, dict):
            continue
        client_id, name, at = item.get("id"), item.get("name"), item.get("at")
        if type(client_id) is not int or not isinstance(name, str) or not isinstance(at, int | float):
            continue
        if now - at <= RECENT_SECONDS:
            found.append(RecentLookup(client_id, clip(name, MAX_NAME), float(at)))
    return sorted(found, key=lambda recent: recent.at, reverse=True)[:RECENT_KEPT]


def remember(recent: list[RecentLookup], client_id: int, name: str | None, now: float) -> list[RecentLookup]:
    """This lookup first; the same client only once; at most RECENT_KEPT."""
    label = clip(name or f"Client #{client_id}", MAX_NAME)
    others = [item for item in recent if item.client_id != client_id and now - item.at <= RECENT_SECONDS]
    return [RecentLookup(client_id, label, now), *others][:RECENT_KEPT]


def status_line(last_answered: datetime | None, paused_until: datetime | None, now: datetime) -> str:
    """What an allowed person may want to know before asking: is WHMCS answering this bot?"""
    if paused_until is not None and paused_until > now:
        return (
            ":warning: WHMCS refused the bot's API credentials; the bot will not ask WHMCS again before "
            f"{paused_until.astimezone(UTC):%H:%M} UTC. Tell a WHMCS administrator."
        )
    if last_answered is None:
        return "WHMCS has not been asked since the bot started."
    return f"WHMCS last answered at {last_answered.astimezone(UTC):%Y-%m-%d %H:%M} UTC."


def _when(at: float) -> str:
    return f"{datetime.fromtimestamp(at, UTC):%Y-%m-%d %H:%M} UTC"


def home_view(recent: list[RecentLookup], status: str) -> View:
    """The Home tab of a person allowed to see billing data."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Credits"}},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Look up credits"},
                    "action_id": HOME_PICKER_ACTION,
                    "style": "primary",
                }
            ],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": status}]},
        {"type": "divider"},
    ]
    if not recent:
        blocks.append(section("Your lookups will be listed here: the last 10, for 30 days."))
    else:
        blocks.append(section("*Your recent lookups*"))
    for position, item in enumerate(recent[:RECENT_KEPT]):
        block = section(f"*{clip_escaped(item.name, MAX_NAME)}* · #{item.client_id}\n{_when(item.at)}")
        block["accessory"] = {
            "type": "button",
            "text": {"type": "plain_text", "text": "Show again"},
            "action_id": f"{HOME_SHOW_ACTION}_{position}",
            "value": ViewRef(item.client_id).encode(),
        }
        blocks.append(block)
    return {"type": "home", "blocks": blocks}


def denied_home_view(text: str) -> View:
    """The Home tab of a person who may not see billing data: who to ask, and nothing else."""
    return {"type": "home", "blocks": [section(text)]}


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}
