"""manifest.yaml is a valid Slack app manifest and matches what the code serves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bot.commands import COMMAND
from bot.web import EVENTS_PATH

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT.parent / "shared" / "slack-manifest-schema" / "manifest.schema.1.0.0.json"


def load(name: str) -> dict[str, Any]:
    manifest: dict[str, Any] = yaml.safe_load((ROOT / name).read_text())
    return manifest


@pytest.mark.skipif(not SCHEMA.exists(), reason="shared/slack-manifest-schema is not beside the project")
def test_manifest_is_valid_against_slacks_schema() -> None:
    jsonschema.validate(load("manifest.yaml"), json.loads(SCHEMA.read_text()))


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
    }
