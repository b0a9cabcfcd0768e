"""One line per event on stdout, as JSON (for log routers) or as `event key=value` text (for people)."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any


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
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(_Fields):
    def format(self, record: logging.LogRecord) -> str:
        pairs = " ".join(f"{key}={_text_value(value)}" for key, value in self.fields(record).items())
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        message = record.getMessage().replace("\r", "").replace("\n", "\\n")  # libraries log several lines
        return f"{stamp} {record.levelname.lower()} {record.name}: {message} {pairs}".rstrip()


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


def configure(level: str, json_lines: bool) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter() if json_lines else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
