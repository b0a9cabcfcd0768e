"""manifest.yaml (HTTP) and manifest.socket.yaml (Socket Mode) are valid Slack app manifests that match
what the code serves, and differ only in how Slack reaches the bot."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
import yaml

from bot.core.commands import COMMAND
from bot.core.picker import PICKER_CALLBACK
from bot.serve.gate import EVENTS_PATH
from tests.processes import ROOT

SCHEMA = ROOT.parent / "shared" / "slack-manifest-schema" / "manifest.schema.1.0.0.json"


def load(name: str) -> dict[str, Any]:
    manifest: dict[str, Any] = yaml.safe_load((ROOT / name).read_text())
    return manifest


@pytest.mark.skipif(not SCHEMA.exists(), reason="shared/slack-manifest-schema is not beside the project")
@pytest.mark.parametrize("name", ["manifest.yaml", "manifest.socket.yaml"])
def test_manifest_is_valid_against_slacks_schema(name: str) -> None:
    jsonschema.validate(load(name), json.loads(SCHEMA.read_text()))


def test_manifest_describes_what_is_served() -> None:
    manifest = load("manifest.yaml")
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == COMMAND
    assert command["url"].endswith(EVENTS_PATH)
    assert command["usage_hint"]
    assert manifest["settings"]["interactivity"]["request_url"] == command["url"]
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "commands",
        "usergroups:read",
        "users:read",
        "chat:write",
        "files:write",
        "im:write",
        "channels:read",  # conversations.info: is a channel shared with another organisation?
        "groups:read",
        "im:read",
        "mpim:read",
    }


def test_manifest_declares_the_picker_the_home_tab_and_its_event() -> None:
    manifest = load("manifest.yaml")
    (shortcut,) = manifest["features"]["shortcuts"]
    assert shortcut["type"] == "global" and shortcut["callback_id"] == PICKER_CALLBACK
    assert manifest["features"]["app_home"] == {
        "home_tab_enabled": True,
        "messages_tab_enabled": True,
        "messages_tab_read_only_enabled": True,
    }
    events = manifest["settings"]["event_subscriptions"]
    assert events["bot_events"] == ["app_home_opened"]
    assert events["request_url"].endswith(EVENTS_PATH)
    assert manifest["settings"]["interactivity"]["message_menu_options_url"].endswith(EVENTS_PATH)


def test_socket_manifest_has_no_request_urls_and_otherwise_matches() -> None:
    http, socket = load("manifest.yaml"), load("manifest.socket.yaml")
    assert socket["settings"]["socket_mode_enabled"] is True
    assert http["settings"]["socket_mode_enabled"] is False
    assert "url" not in yaml.safe_dump(socket)
    (http_command,) = http["features"]["slash_commands"]
    http_command.pop("url")
    assert socket["features"]["slash_commands"] == [http_command]
    http["settings"]["interactivity"].pop("request_url")
    http["settings"]["interactivity"].pop("message_menu_options_url")
    http["settings"]["event_subscriptions"].pop("request_url")
    http["settings"]["socket_mode_enabled"] = True
    assert socket == http
