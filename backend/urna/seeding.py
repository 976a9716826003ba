"""Bring data in: an edition from JSON (with its clause), the site documents, the demo.

This composes several domains (editions, documents), so it lives above them."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.db import utcnow
from urna.core.errors import FormInvalid, validation_messages
from urna.core.i18n import N_
from urna.documents import service as documents
from urna.editions import repository as editions_repository
from urna.editions import service as editions
from urna.editions.models import Edition
from urna.editions.schemas import EditionIn, ProjectIn, StreetIn

DEMO_DIR = Path(__file__).parent / "demo"


def _validated(model, data: Any):
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise FormInvalid(validation_messages(error)) from error


async def edition_import(*, session: AsyncSession, data: dict[str, Any]) -> Edition:
    """Create an edition and the first version of its information clause."""
    edition_in: EditionIn = _validated(EditionIn, data)
    edition = await editions.edition_create(session=session, data=edition_in)
    if edition_in.clause is not None:
        await documents.document_publish(
            session=session,
            kind="clause",
            edition=edition,
            title=edition_in.clause.title,
            body=edition_in.clause.body,
            body_en=edition_in.clause.body_en,
            change_summary="Pierwsza wersja / First version",
            creating_edition=True,
        )
    return edition


def read_csv_rows(text: str) -> list[dict[str, str]]:
    """CSV with a header row; ``;`` or ``,`` separated (Polish spreadsheets use ``;``)."""
    try:
        dialect = csv.Sniffer().sniff(text.lstrip("\ufeff").splitlines()[0], delimiters=";,")
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), dialect=dialect)
        return [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in reader]
    except (IndexError, csv.Error) as error:
        raise FormInvalid(
            {"file": N_("The file is empty or is not a CSV file with a header row.")}
        ) from error


CSV_KINDS = ("projects", "streets")


@dataclass
class CsvRow:
    line: int
    values: dict[str, str]
    errors: dict[str, str]


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


async def csv_preview(
    *, session: AsyncSession, edition: Edition, kind: str, text: str
) -> CsvPreview:
    """Check projects (number, pool, title, description, cost in grosze, area, category,
    location) or streets (name, area) row by row against the edition."""
    if kind not in CSV_KINDS:
        raise FormInvalid({"kind": N_("Choose projects or streets.")})
    preview = CsvPreview(kind=kind)
    areas = {a.code for a in await editions_repository.areas_of(session, edition.id)}
    pools = {p.code for p in await editions_repository.pools_of(session, edition.id)}
    if kind == "projects":
        taken = {p.number for p in await editions_repository.projects_search(session, edition.id)}
    else:
        taken = {
            s.name.casefold() for s in await editions_repository.streets_of(session, edition.id)
        }
    seen: set[str] = set()
    model = ProjectIn if kind == "projects" else StreetIn
    for line, row in enumerate(read_csv_rows(text), start=2):
        errors: dict[str, str] = {}
        try:
            item = model.model_validate({k: v for k, v in row.items() if v != ""})
        except ValidationError as error:
            errors.update(validation_messages(error))
            item = None
        if isinstance(item, ProjectIn):
            if item.pool not in pools:
                errors["pool"] = N_("Unknown pool code.")
            if item.area and item.area not in areas:
                errors["area"] = N_("Unknown area code.")
            if item.number in taken:
                errors["number"] = N_("This project number is already in the edition.")
            elif item.number in seen:
                errors["number"] = N_("This project number repeats in the file.")
            seen.add(item.number)
        elif isinstance(item, StreetIn):
            if item.area not in areas:
                errors["area"] = N_("Unknown area code.")
            if item.name.casefold() in taken:
                errors["name"] = N_("This street is already in the register.")
            elif item.name.casefold() in seen:
                errors["name"] = N_("This street repeats in the file.")
            seen.add(item.name.casefold())
        preview.rows.append(CsvRow(line=line, values=row, errors=errors))
        if item is not None and not errors:
            preview.parsed.append(item)
    return preview


async def csv_apply(*, session: AsyncSession, edition: Edition, preview: CsvPreview) -> int:
    """Add the rows of a preview without errors (all or nothing); caller commits."""
    if not preview.ok:
        raise FormInvalid(
            {
                f"row {row.line}: {name}": message
                for row in preview.rows
                for name, message in row.errors.items()
            }
            or {"file": N_("The file has no rows.")}
        )
    if preview.kind == "projects":
        await editions.edition_add_rows(session=session, edition=edition, projects=preview.parsed)
    else:
        await editions.edition_add_rows(session=session, edition=edition, streets=preview.parsed)
    return len(preview.parsed)


async def edition_import_csv(*, session: AsyncSession, slug: str, kind: str, text: str) -> int:
    """Add projects or streets from CSV to an edition that has not opened yet."""
    edition = await editions.edition_get(session=session, slug=slug)
    editions.rules_ensure_editable(edition=edition)
    preview = await csv_preview(session=session, edition=edition, kind=kind, text=text)
    return await csv_apply(session=session, edition=edition, preview=preview)


async def site_documents_ensure(*, session: AsyncSession) -> None:
    """Publish the demo privacy policy and accessibility statement if none exist yet."""
    for kind, stem, title in (
        ("policy", "privacy", "Polityka prywatności serwisu do głosowania"),
        ("accessibility", "accessibility", "Deklaracja dostępności"),
    ):
        if await documents.document_latest(session=session, kind=kind) is None:
            await documents.document_publish(
                session=session,
                kind=kind,
                title=title,
                body=(DEMO_DIR / f"{stem}_pl.md").read_text(encoding="utf-8"),
                body_en=(DEMO_DIR / f"{stem}_en.md").read_text(encoding="utf-8"),
                change_summary="Pierwsza wersja / First version",
            )


def demo_edition_data(*, days_open: int = 30) -> dict[str, Any]:
    """The fictional town's edition, with voting open from yesterday."""
    data = json.loads((DEMO_DIR / "edition.json").read_text(encoding="utf-8"))
    now = utcnow().replace(microsecond=0)
    data["voting_opens_at"] = (now - timedelta(days=1)).isoformat()
    data["voting_closes_at"] = (now + timedelta(days=days_open)).isoformat()
    data["results_at"] = (now + timedelta(days=days_open + 14)).isoformat()
    data["clause"] = {
        "title": "Klauzula informacyjna dla głosujących",
        "body": (DEMO_DIR / "clause_pl.md").read_text(encoding="utf-8"),
        "body_en": (DEMO_DIR / "clause_en.md").read_text(encoding="utf-8"),
    }
    return data


async def demo_seed(*, session: AsyncSession) -> Edition:
    await site_documents_ensure(session=session)
    data = demo_edition_data()
    existing = await editions_repository.edition_by_slug(session, data["slug"])
    if existing is not None:
        return existing
    edition = await edition_import(session=session, data=data)
    await session.commit()
    return edition
