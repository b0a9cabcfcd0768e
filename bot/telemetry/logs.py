"""One line per event on stdout, as JSON (for log routers) or as `event key=value` text (for people).

Text from WHMCS and Slack can hold what no encoding can write: a lone surrogate (`"\\ud800"` in a JSON
reply decodes to one), which made the stream handler drop the whole line. Every line is made writable as
UTF-8 first, the unwritable characters escaped (`\\ud800`, itself a valid escape inside a JSON string).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any


def writable(text: str) -> str:
    """`text` with whatever UTF-8 cannot encode (lone surrogates) written as a backslash escape."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


class _Fields(logging.Formatter):
    @staticmethod
    def fields(record: logging.LogRecord) -> dict[str, Any]:
        return dict(getattr(record, "fields", {}))


class JsonFormatter(_Fields):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        line.update(self.fields(record))
        return writable(json.dumps(line, default=str, ensure_ascii=False))


class TextFormatter(_Fields):
    def format(self, record: logging.LogRecord) -> str:
        pairs = " ".join(f"{key}={_text_value(value)}" for key, value in self.fields(record).items())
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        message = record.getMessage().replace("\r", "").replace("\n", "\\n")  # libraries log several lines
        return writable(f"{stamp} {record.levelname.lower()} {record.name}: {message} {pairs}".rstrip())


def _text_value(value: object) -> str:
    text = str(value)
    return (
        json.dumps(text, ensure_ascii=False)
        if (not text or any(c.isspace() or c == '"' for c in text))
        else text
    )


def event(logger: logging.Logger, name: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log `name` with structured fields; callers pass only what is safe to show an operator."""
    logger.log(level, name, extra={"fields": fields})


RESPONSE_URL = re.compile(r"hooks\.slack\.com/(?:commands|actions|services)/[^\s\"'<>]+")
"""A response_url's path is a token that lets anyone answer that person for 30 minutes."""


class Redacting(logging.Formatter):
    """Replaces secret values and response URLs in formatted lines: a last line of defence, should any code
    ever log one."""

    def __init__(self, inner: logging.Formatter, secrets: Iterable[str]) -> None:
        super().__init__()
        self._inner = inner
        forms = {form for secret in secrets if secret for form in (secret, json.dumps(secret)[1:-1])}
        self._secrets = sorted(forms, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        line = self._inner.format(record)
        for secret in self._secrets:
            line = line.replace(secret, "[redacted]")
        return RESPONSE_URL.sub("hooks.slack.com/[redacted]", line)


LIBRARY_FLOORS = {"slack_sdk": logging.INFO, "slack_bolt": logging.WARNING, "urllib3": logging.INFO}
"""The least these loggers may log at, whatever LOG_LEVEL says. At DEBUG slack_sdk logs every request and
response body: the credit logs posted to response URLs, group member lists; urllib3 logs the path of every
request, and a response_url's path is the token that lets anyone post to that person. Bolt logs, at INFO,
the whole body of every request whose signature it refuses: a replayed command's legacy verification token,
text and response URL, or whatever a forger sent (web.py logs a one-line `request_refused` instead). Bolt
copies the level of its `slack_bolt` logger to its middleware's loggers when the app is built, so the floor
is set there.
"""


def configure(level: str, json_lines: bool, secrets: Iterable[str] = ()) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(Redacting(JsonFormatter() if json_lines else TextFormatter(), secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name, floor in LIBRARY_FLOORS.items():
        logging.getLogger(name).setLevel(max(floor, root.level))
