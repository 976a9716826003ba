"""Read an edition's data from files: the edition JSON (``urna edition import`` and the
console; ``privacy.service.edition_import`` creates it with its clause), and CSV rows of
projects or streets, checked row by row so that the console can show a preview
(``service.rows_import`` adds them)."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.errors import FormInvalid, validation_messages
from urna.core.forms import FormModel, form_messages
from urna.core.i18n import N_
from urna.editions import repository
from urna.editions.forms import ProjectRow, StreetRow
from urna.editions.models import Edition
from urna.editions.phases import rules_ensure_editable
from urna.editions.schemas import (
    OUTSIDE_POOL_AREA,
    STREET_PROBLEMS,
    EditionIn,
    area_outside_pool,
    edition_reference_errors,
    streets_problems,
)

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_JSON_DEPTH = 8  # the format nests 4 deep (edition > pools > pool > rule values)
CSV_KINDS = ("projects", "streets")
NOT_JSON = N_("The file is not valid JSON.")
TOO_DEEP = N_("The file is not an edition: its values are nested too deeply.")
KEY_REPEATS = N_("The file names the same field twice in one place.")
_NESTING = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[{]|[\]}]')


class _KeyRepeats(ValueError):
    pass


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data = dict(pairs)
    if len(data) != len(pairs):
        raise _KeyRepeats()
    return data


def _json_depth(raw: bytes) -> int:
    """How deep the arrays and objects of ``raw`` nest (strings skipped), counted before
    parsing: the parser recurses once a level and a deep enough file exhausts it."""
    depth = deepest = 0
    for token in _NESTING.finditer(raw):
        mark = token.group()
        if mark in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif mark in (b"]", b"}"):
            depth -= 1
    return deepest


def edition_json_read(raw: bytes) -> dict[str, Any]:
    """The edition file's content (a JSON object), or ``FormInvalid`` on ``file``: at most
    ``MAX_UPLOAD_BYTES``, UTF-8, nested at most ``MAX_JSON_DEPTH`` deep, no key twice in
    an object, numbers as JSON writes them (no NaN or Infinity)."""
    if len(raw) > MAX_UPLOAD_BYTES:
        raise FormInvalid({"file": N_("The file is too large.")})
    if _json_depth(raw) > MAX_JSON_DEPTH:
        raise FormInvalid({"file": TOO_DEEP})
    try:
        data = json.loads(
            raw.decode("utf-8-sig"),
            object_pairs_hook=_no_repeated_keys,
            parse_constant=_not_a_number,
        )
    except _KeyRepeats as error:
        raise FormInvalid({"file": KEY_REPEATS}) from error
    except ValueError as error:  # not UTF-8, not JSON, an integer of over 4300 digits
        raise FormInvalid({"file": NOT_JSON}) from error
    if not isinstance(data, dict):
        raise FormInvalid({"file": NOT_JSON})
    return data


def _not_a_number(name: str) -> Any:
    raise ValueError(name)


def edition_parse(data: Any) -> EditionIn:
    """An edition file checked against the import format; mistakes by field path."""
    try:
        edition = EditionIn.model_validate(data)
    except ValidationError as error:
        raise FormInvalid(validation_messages(error)) from error
    errors = edition_reference_errors(edition)
    if errors:
        raise FormInvalid(errors)
    return edition


def csv_rows_read(text: str) -> list[dict[str, str]]:
    """CSV with a header row; ``;`` or ``,`` separated (Polish spreadsheets use ``;``)."""
    text = text.lstrip("\ufeff")
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=";,")
        reader = csv.DictReader(io.StringIO(text), dialect=dialect)
        return [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in reader]
    except (IndexError, csv.Error) as error:
        raise FormInvalid(
            {"file": N_("The file is empty or is not a CSV file with a header row.")}
        ) from error


@dataclass
class CsvRow:
    line: int
    values: dict[str, str]
    errors: dict[str, str]
    params: dict[str, Any] = field(default_factory=dict)  # of the messages' placeholders


@dataclass
class CsvPreview:
    """Each row of a CSV import as it would be added, with its errors (nothing written)."""

    kind: str
    rows: list[CsvRow] = field(default_factory=list)
    parsed: list[Any] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not any(row.errors for row in self.rows)

    @property
    def error_count(self) -> int:
        return sum(1 for row in self.rows if row.errors)


class PreviewInvalid(FormInvalid):
    """A CSV import with errors: the preview to show again, nothing written."""

    def __init__(self, preview: CsvPreview) -> None:
        super().__init__(  # the command line prints them: placeholders filled in
            {
                f"row {row.line}: {name}": message % row.params if row.params else message
                for row in preview.rows
                for name, message in row.errors.items()
            }
            or {"file": N_("The file has no rows.")}
        )
        self.preview = preview


def _row_parse(model: type[FormModel], row: dict[str, str]) -> tuple[Any, dict[str, str]]:
    try:
        return model.model_validate(row), {}
    except ValidationError as error:
        return None, form_messages(error)


async def rows_preview(
    *, session: AsyncSession, edition: Edition, kind: str, text: str
) -> CsvPreview:
    """Check projects (number, pool, title, description, cost in grosze, area, category,
    location) or streets (name, area; from, to, side for a part of a split street) row by
    row against the edition."""
    rules_ensure_editable(edition=edition)
    if kind not in CSV_KINDS:
        raise FormInvalid({"kind": N_("Choose projects or streets.")})
    preview = CsvPreview(kind=kind)
    areas = {a.code: a.id for a in await repository.areas_of(session, edition.id)}
    # each pool's code with its own area's id (a district pool's)
    pools = {
        p.code: p.area_id if p.kind == "district" else None
        for p in await repository.pools_of(session, edition.id)
    }
    if kind == "projects":
        taken = {p.number for p in await repository.projects_of(session, edition.id)}
    else:
        taken = {
            name.casefold() for name, _ in await repository.street_register_of(session, edition.id)
        }
    seen: set[str] = set()
    for line, row in enumerate(csv_rows_read(text), start=2):
        item, errors = _row_parse(ProjectRow if kind == "projects" else StreetRow, row)
        if isinstance(item, ProjectRow):
            if item.pool not in pools:
                errors["pool"] = N_("Unknown pool code.")
            if item.area and item.area not in areas:
                errors["area"] = N_("Unknown area code.")
            elif area_outside_pool(areas.get(item.area or ""), pools.get(item.pool)):
                errors["area"] = OUTSIDE_POOL_AREA
            if item.number in taken:
                errors["number"] = N_("This project number is already in the edition.")
            elif item.number in seen:
                errors["number"] = N_("This project number repeats in the file.")
            seen.add(item.number)
        elif isinstance(item, StreetRow):
            if item.area not in areas:
                errors["area"] = N_("Unknown area code.")
            if item.name.casefold() in taken:
                errors["name"] = N_("This street is already in the register.")
        preview.rows.append(CsvRow(line=line, values=row, errors=errors))
        if item is not None and not errors:
            preview.parsed.append(item)
    if kind == "streets":
        _streets_check(preview)
    return preview


def _streets_check(preview: CsvPreview) -> None:
    """The streets' rows checked together (``streets_problems``): each problem on its row,
    naming the line of the row it meets."""
    rows = [row for row in preview.rows if not row.errors]
    for problem in streets_problems(preview.parsed):
        row, other = rows[problem.index], rows[problem.other]
        row.errors[problem.field] = STREET_PROBLEMS[problem.kind][1]
        row.params.update(line=other.line, number=problem.gap_from)
    preview.parsed = [
        item for item, row in zip(preview.parsed, rows, strict=True) if not row.errors
    ]
