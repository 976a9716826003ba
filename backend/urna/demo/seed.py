"""Seed the demo: the site's documents and the fictional town's edition, open from
yesterday. Flushes only; the command commits."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.db import utcnow
from urna.documents import repository as documents_repository
from urna.documents import service as documents
from urna.editions import repository as editions_repository
from urna.editions.models import Edition
from urna.privacy import service as privacy

DEMO_DIR = Path(__file__).parent


async def site_documents_ensure(*, session: AsyncSession) -> None:
    """Publish the demo privacy policy and accessibility statement if none exist yet."""
    for kind, stem, title, title_en in (
        ("policy", "privacy", "Polityka prywatności serwisu do głosowania",
         "Privacy policy of the voting site"),
        ("accessibility", "accessibility", "Deklaracja dostępności", "Accessibility statement"),
    ):  # fmt: skip
        if await documents_repository.document_latest(session, kind, None) is None:
            await documents.document_publish(
                session=session,
                kind=kind,
                title=title,
                title_en=title_en,
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
        "title_en": "Information clause for voters",
        "body": (DEMO_DIR / "clause_pl.md").read_text(encoding="utf-8"),
        "body_en": (DEMO_DIR / "clause_en.md").read_text(encoding="utf-8"),
    }
    return data


async def demo_seed(*, session: AsyncSession) -> Edition:
    """The demo edition (made once) and the site's documents."""
    await site_documents_ensure(session=session)
    data = demo_edition_data()
    existing = await editions_repository.edition_by_slug(session, data["slug"])
    if existing is not None:
        return existing
    return await privacy.edition_import(session=session, data=data)
