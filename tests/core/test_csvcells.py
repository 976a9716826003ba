"""CSV cells a spreadsheet shows and never evaluates (log export, results open data)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta, timezone

from urna.core.csvcells import MAX_CELL, CsvCells, csv_cell


def test_a_formula_lead_is_neutralised():
    assert csv_cell("=1+1") == "'=1+1"
    assert csv_cell("@SUM(A1)") == "'@SUM(A1)"
    assert csv_cell("-2") == "'-2"
    assert csv_cell("+48 123") == "'+48 123"
    assert csv_cell("\tcmd") == "\\u0009cmd"  # escaped: no longer a lead
    assert csv_cell("plain") == "plain" and csv_cell("a=b") == "a=b"


def test_control_bytes_are_escaped_and_length_bounded():
    assert csv_cell("a\x00b\x1bc") == "a\\u0000b\\u001bc"
    assert csv_cell("\u202eevil") == "\\u202eevil"  # a direction override
    assert len(csv_cell("x" * (MAX_CELL + 50))) == MAX_CELL


def test_none_numbers_and_times():
    assert csv_cell(None) == "" and csv_cell(404) == "404"
    warsaw = timezone(timedelta(hours=2))
    moment = datetime(2027, 5, 31, 14, 0, 0, 5, tzinfo=warsaw)
    assert csv_cell(moment) == "2027-05-31T12:00:00.000005+00:00"
    assert csv_cell(datetime(2027, 1, 1, tzinfo=UTC)).endswith("+00:00")


def test_a_document_has_crlf_rows_of_inert_cells():
    document = CsvCells()
    document.row(("name", "value"))
    document.row(("=HYPERLINK(1)", 'say "hi", ok'))
    text = document.text()
    assert text.count("\r\n") == 2
    assert list(csv.reader(io.StringIO(text))) == [
        ["name", "value"],
        ["'=HYPERLINK(1)", 'say "hi", ok'],
    ]
