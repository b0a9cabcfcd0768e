"""The Home tab's pure parts: the recent lookups kept, the status line, the view."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.home import (
    RECENT_KEPT,
    RECENT_SECONDS,
    RecentLookup,
    denied_home_view,
    home_view,
    recent_of_json,
    remember,
    status_line,
)

NOW = 1_800_000_000.0


def test_the_newest_first_each_client_once_at_most_ten() -> None:
    kept: list[RecentLookup] = []
    for client_id in range(1, 13):
        kept = remember(kept, client_id, f"Client {client_id}", NOW + client_id)
    kept = remember(kept, 5, None, NOW + 20)
    assert [item.client_id for item in kept] == [5, 12, 11, 10, 9, 8, 7, 6, 4, 3]
    assert len(kept) == RECENT_KEPT
    assert kept[0].name == "Client #5"


def test_what_the_store_kept_is_read_strictly_and_expires() -> None:
    stored = [
        {"id": 1, "name": "Old", "at": NOW - RECENT_SECONDS - 1},
        {"id": 2, "name": "Jane", "at": NOW - 10},
        {"id": "3", "name": "Forged", "at": NOW},
        {"id": 4, "name": 5, "at": NOW},
        "junk",
        {"id": 6, "name": "Newer", "at": NOW - 5},
    ]
    assert [item.client_id for item in recent_of_json(stored, NOW)] == [6, 2]
    assert recent_of_json({"id": 1}, NOW) == []
    assert remember([RecentLookup(1, "Old", NOW - RECENT_SECONDS - 1)], 2, "New", NOW)[1:] == []


def test_the_status_line() -> None:
    now = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    assert status_line(None, None, now) == "WHMCS has not been asked since the bot started."
    assert status_line(now, None, now) == "WHMCS last answered at 2026-01-02 03:04 UTC."
    paused = status_line(now, now + timedelta(minutes=5), now)
    assert "will not ask WHMCS again before 03:09 UTC" in paused
    assert status_line(now, now - timedelta(minutes=1), now).startswith("WHMCS last answered")


def test_the_views_hold_ids_and_names_escaped_never_amounts() -> None:
    view = home_view([RecentLookup(42, "<!channel> & Co", NOW)], "WHMCS last answered at …")
    text = str(view)
    assert "&lt;!channel&gt; &amp; Co" in text and "<!channel>" not in text
    assert view["blocks"][-1]["accessory"] == {
        "type": "button",
        "text": {"type": "plain_text", "text": "Show again"},
        "action_id": "credits_home_show_0",
        "value": "42|0|||",
    }
    assert denied_home_view("ask Sam")["blocks"] == [
        {"type": "section", "text": {"type": "mrkdwn", "text": "ask Sam"}}
    ]
