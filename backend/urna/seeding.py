"""Bring data in: an edition from JSON (with its clause), the site documents, the demo.

This composes several domains (editions, privacy), so it lives above them."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.db import utcnow
from urna.core.errors import FormInvalid, validation_messages
from urna.editions import repository as editions_repository
from urna.editions import service as editions
from urna.editions.models import Edition
from urna.editions.schemas import EditionIn, ProjectIn, StreetIn
from urna.privacy import repository as privacy_repository
from urna.privacy import service as privacy

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
        await privacy.document_publish(
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
    dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=";,")
    return [
        {k.strip(): (v or "").strip() for k, v in row.items() if k}
        for row in csv.DictReader(io.StringIO(text), dialect=dialect)
    ]


async def edition_import_csv(*, session: AsyncSession, slug: str, kind: str, text: str) -> int:
    """Add projects (number, pool, title, description, cost in grosze, area, category,
    location) or streets (name, area) to an edition that has not opened yet."""
    edition = await editions.edition_get(session=session, slug=slug)
    rows = read_csv_rows(text)
    errors: dict[str, str] = {}
    parsed: list[Any] = []
    model = ProjectIn if kind == "projects" else StreetIn
    for number, row in enumerate(rows, start=2):
        cleaned = {k: v for k, v in row.items() if v != ""}
        try:
            parsed.append(model.model_validate(cleaned))
        except ValidationError as error:
            for field, message in validation_messages(error).items():
                errors[f"row {number}: {field}"] = message
    if errors:
        raise FormInvalid(errors)
    if kind == "projects":
        await editions.edition_add_rows(session=session, edition=edition, projects=parsed)
    else:
        await editions.edition_add_rows(session=session, edition=edition, streets=parsed)
    return len(parsed)


async def site_documents_ensure(*, session: AsyncSession) -> None:
    """Publish the demo privacy policy and accessibility statement if none exist yet."""
    for kind, stem, title in (
        ("policy", "privacy", "Polityka prywatności serwisu do głosowania"),
        ("accessibility", "accessibility", "Deklaracja dostępności"),
    ):
        if await privacy_repository.document_latest(session, kind, None) is None:
            await privacy.document_publish(
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
