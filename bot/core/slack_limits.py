"""Slack's hard limits on a message, and a checker that lists every limit a message breaks.

The bot checks each message it builds before sending it (and the tests check every message they see), so a
limit is met by construction rather than discovered when Slack refuses an answer.
"""

from __future__ import annotations

from typing import Any

Message = dict[str, Any]
Block = dict[str, Any]


MAX_BLOCKS = 50


MAX_SECTION_TEXT = 3000


MAX_FIELDS = 10


MAX_FIELD_TEXT = 2000


MAX_TOTAL_TEXT = 12_000


MAX_FALLBACK_TEXT = 4000


MAX_BUTTON_TEXT = 75


MAX_BUTTON_VALUE = 2000


MAX_ACTION_ELEMENTS = 25


MAX_TABLE_ROWS = 100


MAX_TABLE_CELLS = 20


MAX_TABLE_CELL_TEXT = 500
"""The bot's own bound on a cell (Slack counts a table's text towards the message's)."""

TABLE_CELL_TYPES = ("raw_text", "rich_text")


def message_problems(message: Message) -> list[str]:
    """Every Slack limit this message breaks; empty when Slack will accept it. It covers the blocks this bot
    builds (sections, context lines, buttons), not every kind of block Slack has."""
    problems: list[str] = []
    text = message.get("text")
    if not isinstance(text, str) or not text:
        problems.append("no top-level text fallback")
    elif len(text) > MAX_FALLBACK_TEXT:
        problems.append("top-level text too long")
    blocks = message.get("blocks", [])
    if len(blocks) > MAX_BLOCKS:
        problems.append(f"{len(blocks)} blocks (at most {MAX_BLOCKS})")
    for index, block in enumerate(blocks):
        kind = block.get("type")
        if kind == "section":
            problems += _section_problems(index, block)
        if kind == "actions":
            elements = block.get("elements", [])
            if len(elements) > MAX_ACTION_ELEMENTS:
                problems.append(f"block {index}: {len(elements)} elements")
            problems += [problem for element in elements for problem in _button_problems(index, element)]
    action_ids = [
        element["action_id"]
        for block in blocks
        for element in block.get("elements", []) + ([block["accessory"]] if "accessory" in block else [])
        if isinstance(element, dict) and "action_id" in element
    ]
    if len(action_ids) != len(set(action_ids)):
        problems.append("duplicate action_id")
    problems += _table_problems(message.get("attachments", []))
    total = _text_length(blocks) + _text_length(message.get("attachments", []))
    if total > MAX_TOTAL_TEXT:
        problems.append(f"{total} characters of block text (at most about {MAX_TOTAL_TEXT})")
    return problems


def _table_problems(attachments: list[Any]) -> list[str]:
    """Slack's table block: one a message, at most 100 rows of at most 20 cells, raw_text or rich_text."""
    tables = [
        block
        for attachment in attachments
        for block in attachment.get("blocks", [])
        if block.get("type") == "table"
    ]
    problems = [f"{len(tables)} tables (at most 1 a message)"] if len(tables) > 1 else []
    for table in tables:
        rows = table.get("rows", [])
        if not rows or len(rows) > MAX_TABLE_ROWS:
            problems.append(f"table: {len(rows)} rows (1 to {MAX_TABLE_ROWS})")
        for number, row in enumerate(rows):
            if not row or len(row) > MAX_TABLE_CELLS:
                problems.append(f"table row {number}: {len(row)} cells (1 to {MAX_TABLE_CELLS})")
            if any(cell.get("type") not in TABLE_CELL_TYPES for cell in row):
                problems.append(f"table row {number}: a cell that is not raw_text or rich_text")
            if any(cell.get("type") == "raw_text" and not cell.get("text") for cell in row):
                problems.append(f"table row {number}: an empty raw_text cell")
        if len(table.get("column_settings", [])) > MAX_TABLE_CELLS:
            problems.append("table: more column settings than cells")
    return problems


def _section_problems(index: int, block: Block) -> list[str]:
    problems = []
    section_text = block.get("text", {}).get("text", "")
    if len(section_text) > MAX_SECTION_TEXT:
        problems.append(f"block {index}: section text over {MAX_SECTION_TEXT} characters")
    fields = block.get("fields", [])
    if len(fields) > MAX_FIELDS:
        problems.append(f"block {index}: {len(fields)} fields (at most {MAX_FIELDS})")
    if any(len(item["text"]) > MAX_FIELD_TEXT for item in fields):
        problems.append(f"block {index}: a field over {MAX_FIELD_TEXT} characters")
    if not section_text and not fields:
        problems.append(f"block {index}: section without text or fields")
    if "accessory" in block:
        problems += _button_problems(index, block["accessory"])
    return problems


def _button_problems(index: int, element: Block) -> list[str]:
    if element.get("type") != "button":
        return []
    problems = []
    if len(element["text"]["text"]) > MAX_BUTTON_TEXT:
        problems.append(f"block {index}: button text over {MAX_BUTTON_TEXT} characters")
    if len(element.get("value", "")) > MAX_BUTTON_VALUE:
        problems.append(f"block {index}: button value over {MAX_BUTTON_VALUE} characters")
    return problems


def _text_length(value: object) -> int:
    if isinstance(value, dict):
        return sum(
            _text_length(item) for key, item in value.items() if key not in ("type", "style", "action_id")
        )
    if isinstance(value, list):
        return sum(_text_length(item) for item in value)
    return len(value) if isinstance(value, str) else 0
