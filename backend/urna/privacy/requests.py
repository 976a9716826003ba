"""The office's queue of data-subject requests: states, the one-month deadline (art. 12(3)
GDPR) with a warning a week before it, the answer the resident reads with their two
codes, and the erasure of a ballot's identity. Every read and change is in the audit log."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core import audit, keys
from urna.core.crypto import Crypto
from urna.core.db import utcnow
from urna.core.errors import AppError, NotFound
from urna.core.i18n import N_
from urna.editions import service as editions
from urna.editions.models import Edition
from urna.privacy.models import DataRequest
from urna.privacy.rights import REQUEST_CONTEXT, RequestView, request_view, rights_report
from urna.privacy.schemas import AnswerForm
from urna.voting import holdings, rectify

WARN_BEFORE = timedelta(days=7)
ERASING_KINDS = ("erasure", "objection")  # the requests an erasure of the identity answers
OPEN_STATES = ("new", "in_progress")


class ErasureRefused(AppError):
    status_code = 409
    message = N_(
        "Only a request for erasure or an objection leads to erasing the identity. "
        "Nothing was erased."
    )


class CorrectionRefused(AppError):
    status_code = 409
    message = N_(
        "Only a request for rectification leads to correcting the identity. Nothing was changed."
    )


@dataclass(frozen=True, slots=True)
class QueueRow:
    request: DataRequest
    urgency: str  # "", "due_soon" (within a week) or "overdue"


def urgency(request: DataRequest, now: datetime) -> str:
    if request.state not in OPEN_STATES:
        return ""
    if request.due_at <= now:
        return "overdue"
    return "due_soon" if request.due_at - now <= WARN_BEFORE else ""


async def requests_queue(*, session: AsyncSession, now: datetime | None = None) -> list[QueueRow]:
    """Open requests first, earliest deadline first (no personal data: kind, state, dates)."""
    now = now or utcnow()
    rows = (await session.execute(select(DataRequest).order_by(DataRequest.due_at))).scalars()
    queue = [QueueRow(row, urgency(row, now)) for row in rows]
    return sorted(queue, key=lambda item: item.request.state not in OPEN_STATES)


async def request_open(
    *, session: AsyncSession, crypto: Crypto, request_id: int, actor_id: int, held: bool = False
) -> tuple[RequestView, dict[str, Any] | None]:
    """A request, and with ``held`` what is held about its ballot (the identity opened
    only on the office's explicit action, as a verifier unmasks); each read is audited."""
    request = await session.get(DataRequest, request_id)
    if request is None:
        raise NotFound()
    report = None
    if held and request.ballot_id is not None:
        report = await rights_report(session=session, crypto=crypto, ballot_id=request.ballot_id)
    await audit.audit_append(
        session=session,
        actor_id=actor_id,
        action="privacy.request_held_read" if held else "privacy.request_read",
        target=f"data_request:{request.id}",
    )
    return await request_view(session=session, crypto=crypto, request=request), report


async def request_answer(
    *,
    session: AsyncSession,
    crypto: Crypto,
    request_id: int,
    data: AnswerForm,
    actor_id: int,
) -> DataRequest:
    """The request's new state, and the answer (if any) the resident reads with it."""
    request = await session.get(DataRequest, request_id)
    if request is None:
        raise NotFound()
    state, answer = data.state, data.answer
    if answer:
        key_id = await keys.edition_key(
            session=session, crypto=crypto, edition_id=request.edition_id
        )
        request.answer_enc = crypto.encrypt(
            {"text": answer}, context=REQUEST_CONTEXT, key_id=key_id
        )
        request.answered_at = utcnow()
    request.state = state
    await session.flush()
    await audit.audit_append(
        session=session,
        actor_id=actor_id,
        action="privacy.request_answer",
        target=f"data_request:{request.id}",
        details={"state": state},
    )
    return request


async def request_erase(
    *, session: AsyncSession, request_id: int, actor_id: int, now: datetime | None = None
) -> bool:
    """Erase the identity behind the request's ballot; the anonymous ballot stays counted.
    Only a request for erasure or an objection leads there; an identity erased already is
    left as it is (False), with no second audit event."""
    request = await session.get(DataRequest, request_id)
    if request is None or request.ballot_id is None:
        raise NotFound()
    if request.kind not in ERASING_KINDS:
        raise ErasureRefused()
    erased = await holdings.holding_erase(
        session=session, ballot_id=request.ballot_id, now=now or utcnow()
    )
    if not erased:
        return False
    await audit.audit_append(
        session=session,
        actor_id=actor_id,
        action="privacy.identity_erase",
        target=f"data_request:{request.id}",
        reason=request.kind,
    )
    return erased


async def _rectification(session: AsyncSession, request_id: int) -> DataRequest:
    request = await session.get(DataRequest, request_id)
    if request is None or request.ballot_id is None:
        raise NotFound()
    if request.kind != "rectification":
        raise CorrectionRefused()
    return request


async def correction_open(
    *, session: AsyncSession, crypto: Crypto, request_id: int
) -> rectify.Correction | None:
    """The correction form of a rectification request whose identity is still held (the
    identity read already, on purpose and audited, by ``request_open(held=True)``)."""
    request = await session.get(DataRequest, request_id)
    if request is None or request.kind != "rectification" or request.ballot_id is None:
        return None
    try:
        return await rectify.correction_open(
            session=session, crypto=crypto, ballot_id=request.ballot_id
        )
    except rectify.IdentityGone:
        return None


async def request_correct(
    *,
    session: AsyncSession,
    crypto: Crypto,
    request_id: int,
    form: Mapping[str, str],
    actor_id: int,
) -> list[str]:
    """Correct the identity behind a rectification request's ballot as the office typed it
    (``voting.rectify``); the audit log says which fields changed, never their values."""
    request = await _rectification(session, request_id)
    edition = await session.get(Edition, request.edition_id)
    snapshot = await editions.edition_snapshot(session=session, slug=edition.slug, streets=True)
    changed = await rectify.identity_correct(
        session=session, crypto=crypto, snapshot=snapshot, ballot_id=request.ballot_id, form=form
    )
    if changed:
        await audit.audit_append(
            session=session,
            actor_id=actor_id,
            action="privacy.identity_correct",
            target=f"data_request:{request.id}",
            details={"fields": changed},
        )
    return changed
