"""app.json (the Deploy to Heroku button), uv.lock and .python-version agree with the code."""

from __future__ import annotations

import json
import tomllib
from typing import Any

from bot.settings import SlackSettings, WhmcsSettings
from tests.processes import ROOT, procfile_command

# The top-level keys of Heroku's app.json schema.
APP_JSON_KEYS = {
    "name", "description", "keywords", "website", "repository", "logo", "success_url", "scripts", "env",
    "formation", "addons", "buildpacks", "environments", "stack", "image",
}  # fmt: skip
SET_BY_HEROKU = {"PORT"}
NEEDED_BY_THE_WEB_PROCESS = {"SLACK_SIGNING_SECRET"}


def app_json() -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((ROOT / "app.json").read_text())
    return manifest


def test_only_schema_keys_the_python_buildpack_and_the_health_check() -> None:
    manifest = app_json()
    assert set(manifest) <= APP_JSON_KEYS
    assert manifest["buildpacks"] == [{"url": "heroku/python"}]
    assert len(manifest["description"]) <= 140
    assert manifest["success_url"] == "/healthz", "after deploying, the button opens the health check"


def test_every_setting_is_described_and_required_as_the_code_requires() -> None:
    fields = {**WhmcsSettings.model_fields, **SlackSettings.model_fields}
    settings = {name.upper(): field for name, field in fields.items()}
    env = app_json()["env"]
    assert set(env) == set(settings) - SET_BY_HEROKU
    for name, entry in env.items():
        assert entry["description"].strip(), name
        required = settings[name].is_required() or name in NEEDED_BY_THE_WEB_PROCESS
        assert entry["required"] is required, name
        assert "value" not in entry, f"{name}: defaults live in the code, not in app.json"


def test_formation_names_the_procfiles_processes_and_avoids_sleeping_dynos() -> None:
    formation = app_json()["formation"]
    for kind in formation:
        procfile_command(kind)
    assert formation["web"] == {"quantity": 1, "size": "basic"}


# Heroku's Python buildpack refuses a build with the files of more than one package manager, and a
# runtime.txt would take precedence over .python-version.
OTHER_PACKAGE_MANAGERS = ["requirements.txt", "Pipfile", "Pipfile.lock", "poetry.lock", "runtime.txt"]


def test_heroku_builds_from_the_lock_and_nothing_else() -> None:
    assert (ROOT / "uv.lock").is_file()
    assert [name for name in OTHER_PACKAGE_MANAGERS if (ROOT / name).exists()] == []


def test_python_version_is_a_major_version() -> None:
    version = (ROOT / ".python-version").read_text().strip()
    assert version == "3.11"
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == f">={version}"
    assert tomllib.loads((ROOT / "uv.lock").read_text())["requires-python"] == requires
