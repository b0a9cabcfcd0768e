"""LOG_FORMAT: one line per event on stdout, JSON where a log router reads it, text for people."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger

import bot.serve.gunicorn_config
from bot import settings as config
from bot.settings import ConfigurationError, SlackSettings
from bot.telemetry.logs import configure, event
from tests.fakes.slack import FakeSlack
from tests.fakes.whmcs import FakeWhmcs
from tests.processes import procfile_web, serving_env, wait_healthy
from tests.slack_harness import BotUnderTest


@pytest.fixture
def slack_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    for name in ("LOG_FORMAT", "DYNO", "CI"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize(
    ("env", "json_lines"),
    [
        ({}, False),
        ({"DYNO": "web.1"}, True),
        ({"CI": "true"}, True),
        ({"DYNO": "web.1", "LOG_FORMAT": "text"}, False),
        ({"LOG_FORMAT": "json"}, True),
    ],
)
def test_json_by_default_on_heroku_and_in_ci(
    slack_env: None, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], json_lines: bool
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert config.load(SlackSettings).log_json is json_lines


def test_an_unknown_format_is_refused_by_name(slack_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_FORMAT", "xml")
    with pytest.raises(ConfigurationError, match=r"^LOG_FORMAT Input should be 'json' or 'text'$"):
        config.load(SlackSettings)


@pytest.mark.usefixtures("root_logger")
def test_json_lines_carry_the_event_and_its_fields(capsys: pytest.CaptureFixture[str]) -> None:
    configure("INFO", json_lines=True)
    event(logging.getLogger("credits.command"), "command", outcome="ok", client=42, total_ms=3)
    logging.getLogger("slack_sdk").debug("below the level: not shown")
    (line,) = capsys.readouterr().out.splitlines()
    record = json.loads(line)
    assert record.pop("time").endswith("+00:00")
    assert record == {
        "level": "info",
        "logger": "credits.command",
        "event": "command",
        "outcome": "ok",
        "client": 42,
        "total_ms": 3,
    }


@pytest.mark.usefixtures("root_logger")
def test_text_lines_stay_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    configure("INFO", json_lines=False)
    event(
        logging.getLogger("credits.command"), "whmcs_failed", logging.WARNING, detail="two\nlines", kind="X"
    )
    logging.getLogger("slack_bolt").error("Failed to retrieve WSS URL\nThe server responded with: {}")
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].endswith(' warning credits.command: whmcs_failed detail="two\\nlines" kind=X')
    assert lines[1].endswith(" error slack_bolt: Failed to retrieve WSS URL\\nThe server responded with: {}")


def test_the_web_process_logs_only_json_lines_on_stdout(slack: FakeSlack, whmcs: FakeWhmcs) -> None:
    env = serving_env(slack, whmcs)
    del env["LOG_FORMAT"]
    with procfile_web(env | {"DYNO": "web.1"}) as (process, url):
        wait_healthy(url, process)
        BotUnderTest(url, slack).command("help")
        BotUnderTest(url, slack).command("help", secret="forged")
        process.terminate()
        stdout, stderr = process.communicate(timeout=30)
    events = [json.loads(line) for line in stdout.splitlines()]
    assert [e["outcome"] for e in events if e.get("event") == "command"] == ["help"]
    assert [e["outcome"] for e in events if "event" not in e] == ["help"], "the audit trail's own line"
    assert stderr == ""


@pytest.mark.usefixtures("root_logger")
def test_gunicorns_own_warnings_come_out_as_events(capsys: pytest.CaptureFixture[str]) -> None:
    """As in the web process: gunicorn sets up its logger from our config, then the app configures logging."""
    gunicorn_logger = Logger(gunicorn_config())
    configure("INFO", json_lines=True)
    gunicorn_logger.info("Booting worker with pid: 12")
    gunicorn_logger.critical("WORKER TIMEOUT (pid:12)")
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line) | {"time": ""} == {
        "time": "",
        "level": "critical",
        "logger": "gunicorn.error",
        "event": "WORKER TIMEOUT (pid:12)",
    }


def gunicorn_config() -> Config:
    config = Config()
    for name, value in vars(bot.serve.gunicorn_config).items():
        if name in config.settings:
            config.set(name, value)
    return config
