"""Residents' rights (GDPR art. 15–21, the clause's point 7): with the receipt code and a
one-time code sent to the contact given when voting, a resident sees what is held about
their vote, downloads it (portability), files requests and reads the office's answers.

The choices are never shown: the receipt proves a ballot, not how it was cast."""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core import audit, keys
from urna.core.config import Settings
from urna.core.crypto import Crypto, KeyUnavailable
from urna.core.db import utcnow
from urna.core.errors import AppError, FormInvalid
from urna.core.forms import form_parse
from urna.core.i18n import N_
from urna.documents import service as documents
from urna.editions.models import Edition
from urna.notify import service as notify
from urna.privacy.models import REQUEST_KINDS as REQUEST_KINDS  # the page lists them
from urna.privacy.models import DataRequest
from urna.privacy.schemas import RequestForm
from urna.privacy.service import months_after, retention_ends_at
from urna.requestlog import repository as request_log
from urna.voting import holdings
from urna.voting import service as voting
from urna.voting.schemas import CodeForm

REQUEST_CONTEXT = "data-request"
IDENTITY_FIELDS = (
    "first_name", "last_name", "birth_date", "street", "house_number", "pesel", "phone",
    "email", "guardian_name",
)  # fmt: skip


class NoContact(AppError):
    status_code = 409
    message = N_(
        "No phone number or e-mail address is held for this ballot, so we cannot send a "
        "code. Contact the participatory budget office in person."
    )


# ---- proving it is you -------------------------------------------------------------


async def rights_code_send(
    *, session: AsyncSession, crypto: Crypto, settings: Settings, receipt: str
) -> dict[str, Any]:
    """Find the ballot by its receipt and send a one-time code to the contact held for
    it; returns what the resident's session keeps (no code, only its keyed hash)."""
    ballot = await voting.receipt_check(session=session, crypto=crypto, code=receipt)
    held = await holdings.holding_read(session=session, crypto=crypto, ballot_id=ballot.id)
    channel, contact = (
        ("sms", held.fields.get("phone"))
        if held.fields.get("phone")
        else ("email", held.fields.get("email"))
    )
    if not contact:
        raise NoContact()
    code = f"{secrets.randbelow(1_000_000):06d}"
    await notify.message_enqueue(
        session=session,
        crypto=crypto,
        channel=channel,
        recipient=contact,
        text=f"Kod dostępu do Twoich danych w budżecie obywatelskim: {code}. Ważny 10 minut. "
        f"/ Your participatory budget data access code: {code}. Valid 10 minutes.",
        purpose="rights-code",
    )
    return {
        "ballot_id": ballot.id,
        "otp_hash": crypto.keyed_hash(scope=f"rights:{ballot.id}", value=code),
        "expires": time.time() + settings.otp_ttl_seconds,
        "attempts": 0,
        "verified": False,
        "channel": channel,
        "demo_code": code if settings.demo_show_codes else None,
    }


def rights_code_verify(
    *, crypto: Crypto, settings: Settings, state: dict[str, Any], code: str
) -> dict[str, Any]:
    if not state.get("otp_hash") or time.time() > state["expires"]:
        raise FormInvalid({"code": N_("The code has expired. Send a new one.")})
    if state["attempts"] >= settings.otp_max_attempts:
        raise FormInvalid({"code": N_("Too many wrong codes. Send a new one.")})
    typed = form_parse(CodeForm, {"code": code}).code  # not six digits: said, not counted
    expected = crypto.keyed_hash(scope=f"rights:{state['ballot_id']}", value=typed)
    if not hmac.compare_digest(expected, state["otp_hash"]):
        state["attempts"] += 1
        raise FormInvalid(
            {"code": N_("Wrong code. Attempts left: %(left)s.")},
            params={"left": max(settings.otp_max_attempts - state["attempts"], 0)},
        )
    return {"ballot_id": state["ballot_id"], "verified": True}


# ---- what is held ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RequestView:
    id: int
    kind: str
    state: str
    filed_at: datetime
    due_at: datetime
    answered_at: datetime | None
    body: str
    answer: str


async def _open(session: AsyncSession, crypto: Crypto, blob: bytes | None) -> str:
    if blob is None:
        return ""
    try:
        return (
            await keys.blob_open(session=session, crypto=crypto, blob=blob, context=REQUEST_CONTEXT)
        )["text"]
    except KeyUnavailable:
        return ""


async def request_view(
    *, session: AsyncSession, crypto: Crypto, request: DataRequest
) -> RequestView:
    return RequestView(
        id=request.id,
        kind=request.kind,
        state=request.state,
        filed_at=request.filed_at,
        due_at=request.due_at,
        answered_at=request.answered_at,
        body=await _open(session, crypto, request.body_enc),
        answer=await _open(session, crypto, request.answer_enc),
    )


# The most logged requests of the voting session a report lists (a vote takes about ten).
TRAIL_SHOWN = 500


async def rights_report(*, session: AsyncSession, crypto: Crypto, ballot_id: int) -> dict[str, Any]:
    """Everything held about the resident's vote, as shown and as downloaded (JSON): the
    identity, the ballot's address and browser, and the requests of the session that cast
    it up to the cast, as the request log holds them (art. 15: all of it, until purged or
    erased; the browser's later requests may be another resident's on the same device)."""
    held = await holdings.holding_read(session=session, crypto=crypto, ballot_id=ballot_id)
    ballot = held.ballot
    # after the cast: whoever used the browser next
    trail = await request_log.logs_trail(
        session,
        session_hash=ballot.session_hash,
        request_id=ballot.request_id,
        until=ballot.submitted_at,
        limit=TRAIL_SHOWN,
    )
    edition = await session.get(Edition, held.ballot.edition_id)
    clause_version = None
    if held.voter is not None:
        register = await documents.document_register(
            session=session, kind="clause", edition=edition
        )
        clause_version = next((d.version for d in register if d.id == held.voter.clause_id), None)
    rows = (
        (
            await session.execute(
                select(DataRequest)
                .where(DataRequest.ballot_id == ballot_id)
                .order_by(DataRequest.id)
            )
        )
        .scalars()
        .all()
    )
    return {
        "edition": {"slug": edition.slug, "name": edition.name},
        "identity": {name: held.fields[name] for name in IDENTITY_FIELDS if held.fields.get(name)},
        "identity_erased": held.voter is None or held.voter.purged_at is not None,
        "clause_version": clause_version,
        "ballot": {
            "channel": held.ballot.channel,
            "status": held.ballot.status,
            "status_reason": getattr(held.ballot, "status_reason", None),
            "submitted_at": held.ballot.submitted_at.isoformat(),
            "age_band": held.ballot.age_band,
            "ip": ballot.ip,
            "browser": ballot.user_agent,
        },
        "requests_logged": [
            {
                "arrived_at": row.arrived_at.isoformat(),
                "ip": row.ip,
                "host": row.host,
                "method": row.method,
                "url": row.url,
                "status": row.status,
                "referer": row.referer,
                "browser": row.user_agent,
            }
            for row in trail
        ],
        "kept_until": retention_ends_at(edition).isoformat(),
        "requests": [
            await request_view(session=session, crypto=crypto, request=row) for row in rows
        ],
    }


async def request_file(
    *, session: AsyncSession, crypto: Crypto, ballot_id: int, kind: str, text: str
) -> DataRequest:
    """File the resident's request as posted (``RequestForm``: ``FormInvalid`` with a
    message per field), with its deadline a month from now."""
    form = form_parse(RequestForm, {"kind": kind, "text": text})
    held = await holdings.holding_read(session=session, crypto=crypto, ballot_id=ballot_id)
    edition_id = held.ballot.edition_id
    key_id = await keys.edition_key(session=session, crypto=crypto, edition_id=edition_id)
    now = utcnow()
    request = DataRequest(
        edition_id=edition_id,
        ballot_id=ballot_id,
        kind=form.kind,
        body_enc=crypto.encrypt({"text": form.text}, context=REQUEST_CONTEXT, key_id=key_id),
        filed_at=now,
        due_at=months_after(now, 1),
    )
    session.add(request)
    await session.flush()
    await audit.audit_append(
        session=session,
        actor_id=None,
        action="privacy.request_filed",
        target=f"data_request:{request.id}",
        details={"kind": form.kind},
    )
    return request
