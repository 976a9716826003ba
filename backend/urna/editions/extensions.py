"""Extending an edition's voting once it has opened. Everything else is frozen then
(``rules_ensure_editable``), but an outage on the last evening happens: the office may
move the closing date later (never earlier), with a reason that goes to the audit log and
is announced on the edition's page. The rules, pools and projects stay as they were."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from urna.core import audit
from urna.core.db import utcnow
from urna.core.errors import AppError, FormInvalid
from urna.core.i18n import N_
from urna.editions import repository
from urna.editions.models import ClosingExtension, Edition
from urna.editions.phases import edition_phase

NOT_OPEN = N_("Voting can be extended only while it is open.")
NOT_LATER = N_("Give a date after the current closing date: voting is never shortened.")
AFTER_RESULTS = N_(
    "Voting must close before the results are announced. Give an earlier date, or ask the "
    "lead of the office: the results date is one of the rules and stays as it is."
)


class ExtensionRefused(AppError):
    status_code = 409
    message = NOT_OPEN


async def closing_extend(
    *,
    session: AsyncSession,
    edition: Edition,
    closes_at: datetime,
    reason: str,
    actor_id: int | None,
    now: datetime | None = None,
) -> ClosingExtension:
    """Move the closing date of an open edition to ``closes_at`` (later, still before the
    results), recorded with ``reason`` in the audit log and on the edition's page."""
    now = now or utcnow()
    if edition_phase(edition, now) != "open":
        raise ExtensionRefused()
    if closes_at <= edition.voting_closes_at:
        raise FormInvalid({"voting_closes_at": NOT_LATER})
    if closes_at > edition.results_at:
        raise FormInvalid({"voting_closes_at": AFTER_RESULTS})
    extension = ClosingExtension(
        edition_id=edition.id,
        previous_closes_at=edition.voting_closes_at,
        closes_at=closes_at,
        reason=reason,
    )
    edition.voting_closes_at = closes_at
    session.add(extension)
    await session.flush()
    await audit.audit_append(
        session=session,
        actor_id=actor_id,
        action="edition.closing_extend",
        target=f"edition:{edition.slug}",
        reason=reason,
        details={
            "from": extension.previous_closes_at.isoformat(),
            "to": closes_at.isoformat(),
        },
    )
    return extension


async def closing_extensions(
    *, session: AsyncSession, edition: Edition
) -> Sequence[ClosingExtension]:
    """The extensions of ``edition``'s voting, newest first (announced on its page)."""
    return await repository.extensions_of(session, edition.id)
