"""A credit log as CSV that is exact and safe to open in a spreadsheet.

Text cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or carriage
return) get a leading `'`; the amount column is written as WHMCS holds it and stays numeric. A date or an
amount WHMCS sent in a form that cannot be read is an empty cell, never a guess. UTF-8 without a
byte-order mark, comma-separated, CRLF line ends, a header row. A lone surrogate in WHMCS's text (JSON
allows `"\\ud800"`, UTF-8 cannot hold it) becomes U+FFFD, so the file can always be encoded and uploaded.
"""

from __future__ import annotations

import csv
import io
import re

from bot.core.credits import CreditLog, Filters

COLUMNS = ("id", "date", "description", "amount", "invoice_id")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def neutralise(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def encodable(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD (a decoded JSON string holds no valid pair)."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def credit_log_csv(log: CreditLog) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for entry in log.entries:
        writer.writerow(
            (
                "" if entry.id is None else entry.id,
                "" if entry.date is None else entry.date.isoformat(),
                neutralise(entry.description),
                "" if entry.amount is None else f"{entry.amount:f}",
                entry.invoice_id or "",
            )
        )
    return encodable(buffer.getvalue())


def csv_filename(log: CreditLog, filters: Filters) -> str:
    """`credits-client-42-since-2024-01-01-last-1000.csv`: built from the filter fields, not from their
    description, so the name has no spaces or thousands separators."""
    parts = [f"credits-client-{log.client_id}"]
    if filters.since:
        parts.append(f"since-{filters.since.isoformat()}")
    if filters.until:
        parts.append(f"until-{filters.until.isoformat()}")
    if filters.last:
        parts.append(f"last-{filters.last}")
    return "-".join(parts) + ".csv"
