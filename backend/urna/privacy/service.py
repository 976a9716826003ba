"""The promises of the privacy policy that need a mechanism: identity data are kept until
the edition's retention period ends (3 months after the results by default), then purged.
Above voting, whose identities it purges through voting's service."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from urna.core import audit
from urna.core.db import utcnow
from urna.editions import service as editions
from urna.editions.models import Edition
from urna.voting import service as voting


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
    stay. Idempotent: a second run finds nothing left. Each purge is in the audit log; the
    caller's unit of work commits them (``urna purge``)."""
    now = now or utcnow()
    reports = []
    for edition in await editions.editions_list(session=session):
        if retention_ends_at(edition) > now:
            continue
        purged = await voting.identities_purge(session=session, edition_id=edition.id, now=now)
        if not (purged.voters or purged.paper_entries or purged.ballots):
            continue
        report = PurgeReport(edition.slug, purged.voters, purged.paper_entries, purged.ballots)
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
    return reports
