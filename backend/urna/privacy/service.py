"""Versioned documents (information clause per edition, privacy policy, accessibility
statement) with a public change register. A clause is frozen once voting opens."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markdown_it import MarkdownIt
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core import audit
from urna.core.db import utcnow
from urna.core.errors import NotFound
from urna.editions import service as editions
from urna.editions.models import Edition
from urna.privacy import repository
from urna.privacy.forms import ClauseForm
from urna.privacy.models import PolicyDocument

# Markdown without raw HTML: documents are written by staff, rendered inert.
_markdown = MarkdownIt("commonmark", {"html": False})


def document_html(text: str) -> str:
    return _markdown.render(text)


def document_body_html(document: PolicyDocument, lang: str | None) -> str:
    """The document in the reader's language (Polish is the binding text)."""
    body = document.body_en if lang == "en" and document.body_en else document.body
    return document_html(body)


async def document_publish(
    *,
    session: AsyncSession,
    kind: str,
    title: str,
    body: str,
    body_en: str = "",
    change_summary: str = "",
    edition: Edition | None = None,
    now: datetime | None = None,
    creating_edition: bool = False,
) -> PolicyDocument:
    """Append a new dated version; earlier versions stay in the change register.

    A clause can change only before voting opens (``creating_edition`` is the first
    version, written together with an imported edition)."""
    if kind == "clause":
        if edition is None:
            raise ValueError("a clause belongs to an edition")
        if not creating_edition:
            editions.rules_ensure_editable(edition=edition, now=now)
    edition_id = edition.id if edition is not None else None
    document = PolicyDocument(
        kind=kind,
        edition_id=edition_id,
        version=await repository.document_next_version(session, kind, edition_id),
        title=title,
        body=body,
        body_en=body_en,
        change_summary=change_summary,
        published_at=now or utcnow(),
    )
    session.add(document)
    await session.flush()
    return document


async def document_current(
    *, session: AsyncSession, kind: str, edition: Edition | None = None
) -> PolicyDocument:
    document = await repository.document_latest(
        session, kind, edition.id if edition is not None else None
    )
    if document is None:
        raise NotFound()
    return document


async def document_register(
    *, session: AsyncSession, kind: str, edition: Edition | None = None
) -> Sequence[PolicyDocument]:
    return await repository.document_versions(
        session, kind, edition.id if edition is not None else None
    )


# ---- an edition's clause -----------------------------------------------------------------


async def edition_import(
    *, session: AsyncSession, data: dict[str, Any], actor_id: int | None = None
) -> Edition:
    """An edition file (``urna edition import``, the console, the demo): the edition with
    its areas, streets, pools and projects, and the first version of its information
    clause. Editions sits below this domain, so the two are put together here. A staff
    member's import (``actor_id``) is recorded in the audit log."""
    edition_in = editions.edition_parse(data)
    edition = await editions.edition_create(session=session, data=edition_in)
    if edition_in.clause is not None:
        await document_publish(
            session=session,
            kind="clause",
            edition=edition,
            title=edition_in.clause.title,
            body=edition_in.clause.body,
            body_en=edition_in.clause.body_en,
            change_summary="Pierwsza wersja / First version",
            creating_edition=True,
        )
    if actor_id is not None:
        await editions.change_record(
            session=session,
            actor_id=actor_id,
            action="edition.import",
            edition=edition,
            details={"source": "json", "projects": len(edition_in.projects)},
        )
    return edition


async def clause_publish(
    *, session: AsyncSession, edition: Edition, data: ClauseForm, actor_id: int | None
) -> PolicyDocument:
    """A new version of an edition's clause from the console; refused once voting has
    opened (the clause voters acknowledged stays the one they were shown)."""
    document = await document_publish(
        session=session,
        kind="clause",
        edition=edition,
        title=data.title,
        body=data.body,
        body_en=data.body_en,
        change_summary=data.change_summary,
    )
    await editions.change_record(
        session=session,
        actor_id=actor_id,
        action="clause.publish",
        edition=edition,
        details={"version": document.version},
    )
    return document


# ---- retention ---------------------------------------------------------------------------


def retention_ends_at(edition: Edition) -> datetime:
    """The results date plus the edition's retention period (calendar months, day clamped)."""
    start = edition.results_at
    month_index = start.month - 1 + edition.retention_months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


@dataclass(frozen=True, slots=True)
class PurgeReport:
    edition_slug: str
    voters: int
    paper_entries: int
    ballots: int


async def retention_purge(
    *, session: AsyncSession, now: datetime | None = None
) -> list[PurgeReport]:
    """Delete the identity data of every edition whose retention period has ended.

    Identities (encrypted fields and the keyed HMACs), what paper operators typed, and the
    ballots' address and browser go; the anonymous ballots, their choices and the results
    stay. Idempotent: a second run finds nothing left. Each purge is in the audit log."""
    now = now or utcnow()
    reports = []
    for edition in await editions.editions_list(session=session):
        if retention_ends_at(edition) > now:
            continue
        report = PurgeReport(
            edition.slug,
            await repository.identities_purge(session, edition.id, now),
            await repository.paper_entries_purge(session, edition.id),
            await repository.ballot_traces_purge(session, edition.id),
        )
        if report.voters or report.paper_entries or report.ballots:
            await audit.audit_append(
                session=session,
                actor_id=None,
                action="privacy.retention_purge",
                target=f"edition:{edition.slug}",
                details={
                    "voters": report.voters,
                    "paper_entries": report.paper_entries,
                    "ballots": report.ballots,
                },
            )
            reports.append(report)
        await session.commit()
    return reports
