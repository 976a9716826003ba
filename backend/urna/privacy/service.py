"""The promises of the privacy policy that need a mechanism: identity data are kept until
the edition's retention period ends (3 months after the results by default), then purged.
Above voting, whose identities it purges through voting's service."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from urna.core import audit, keys
from urna.core.crypto import Crypto
from urna.core.db import utcnow
from urna.documents import service as documents
from urna.documents.models import PolicyDocument
from urna.editions import service as editions
from urna.editions.models import Edition
from urna.notify import service as notify
from urna.privacy.forms import ClauseForm
from urna.voting import service as voting

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
        await documents.document_publish(
            session=session,
            kind="clause",
            edition=edition,
            title=edition_in.clause.title,
            title_en=edition_in.clause.title_en,
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
    document = await documents.document_publish(
        session=session,
        kind="clause",
        edition=edition,
        title=data.title,
        title_en=data.title_en,
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


def months_after(start: datetime, months: int) -> datetime:
    """The same moment ``months`` calendar months later (the day clamped to the month's end)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


def retention_ends_at(edition: Edition) -> datetime:
    """The results date plus the edition's retention period."""
    return months_after(edition.results_at, edition.retention_months)


async def editions_past_retention(
    *, session: AsyncSession, now: datetime | None = None
) -> list[Edition]:
    """The editions whose retention period has ended by ``now`` (default: the clock)."""
    now = now or utcnow()
    return [
        edition
        for edition in await editions.editions_list(session=session)
        if retention_ends_at(edition) <= now
    ]


@dataclass(frozen=True, slots=True)
class PurgeReport:
    edition_slug: str
    voters: int
    paper_entries: int
    ballots: int
    keys: int


async def retention_purge(
    *, session: AsyncSession, crypto: Crypto, now: datetime | None = None
) -> list[PurgeReport]:
    """Delete the identity data of every edition whose retention period has ended.

    Identities (encrypted fields and the keyed HMACs), what paper operators typed, the
    ballots' address and browser, and the edition's keys (so copies of the blobs taken
    before, in backups, cannot be opened) go; so do outbox payloads never sent. The
    anonymous ballots, their choices and the results stay. Idempotent: a second run finds
    nothing left. Each purge is in the audit log; the caller's unit of work commits them
    (``urna purge``)."""
    now = now or utcnow()
    await notify.payloads_expire(session=session, now=now)
    reports = []
    for edition in await editions_past_retention(session=session, now=now):
        purged = await voting.identities_purge(session=session, edition_id=edition.id, now=now)
        shredded = await keys.edition_keys_shred(
            session=session, crypto=crypto, edition_id=edition.id, now=now
        )
        if not (purged.voters or purged.paper_entries or purged.ballots or shredded):
            continue
        report = PurgeReport(
            edition.slug, purged.voters, purged.paper_entries, purged.ballots, shredded
        )
        await audit.audit_append(
            session=session,
            actor_id=None,
            action="privacy.retention_purge",
            target=f"edition:{edition.slug}",
            details={
                "voters": report.voters,
                "paper_entries": report.paper_entries,
                "ballots": report.ballots,
                "keys": report.keys,
            },
        )
        reports.append(report)
    return reports
