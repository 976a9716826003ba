"""CSV files whose cells a spreadsheet shows and never evaluates (the request-log export,
the results' open data): no formula lead, no control bytes, RFC 4180 line ends."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import UTC, datetime

from urna.core.text import inert

FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r", "\n")
MAX_CELL = 2000


def csv_cell(value: object) -> str:
    """Text a spreadsheet shows and never evaluates: no formula lead, no control bytes."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    text = inert(str(value), MAX_CELL) or ""
    if text.startswith(FORMULA_LEAD):
        text = "'" + text
    return text


class CsvCells:
    """A CSV document written row by row, every cell through `csv_cell`."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\r\n")

    def row(self, values: Iterable[object]) -> None:
        self._writer.writerow([csv_cell(value) for value in values])

    def text(self) -> str:
        return self._buffer.getvalue()
