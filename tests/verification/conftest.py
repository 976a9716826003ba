"""Ballots cast through the real HTTP flow, and fraud cases made from them directly (the
scan's heuristics are the fraud tests' business; here a case is a given)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from tests.factories.editions import edition_create
from tests.factories.fraud import fraud_case_add
from tests.factories.staff import asgi_client, csrf_of, staff_client
from tests.factories.voting import ballot_of_receipt, person, receipt_of, vote
from urna.core.audit import AuditEvent
from urna.fraud.models import FraudCase
from urna.voting.models import Ballot


@dataclass
class Cast:
    ballot_id: int
    receipt: str
    who: dict[str, str]
    ip: str


async def cast(app, slug: str, numbers: list[str], *, ip: str = "198.51.100.7", **who) -> Cast:
    """One resident votes from ``ip``; returns the ballot's id and receipt."""
    resident = person(**who)
    async with asgi_client(app, ip=ip) as http:
        response = await vote(http, app, slug, resident, numbers)
        assert response.status_code == 303, response.text
        receipt = await receipt_of(http, slug)
    async with app.state.ctx.db() as session:
        ballot = await ballot_of_receipt(session, app.state.ctx.crypto, receipt)
    await app.state.request_log.flush()
    return Cast(ballot.id, receipt, resident, ip)


async def case_make(app, edition_id: int, ballot_ids: list[int], *, ip: str = "198.51.100.7"):
    """A case holding ``ballot_ids`` with one signal, as the scan would store it."""
    async with app.state.ctx.db() as session:
        case_id = await fraud_case_add(session, edition_id=edition_id, ballot_ids=ballot_ids, ip=ip)
        await session.commit()
        return case_id


async def case_page(app, edition, ballots: list[Cast], *, ip: str) -> tuple[int, str]:
    """A case of ``ballots`` (one signal, from ``ip``) and its page as a verifier reads it."""
    case_id = await case_make(app, edition.id, [b.ballot_id for b in ballots], ip=ip)
    async with await staff_client(app, "verifier") as verifier:
        page = await verifier.get(f"/staff/verify/{edition.slug}/cases/{case_id}")
    assert page.status_code == 200
    return case_id, page.text


async def ballot_get(app, ballot_id: int) -> Ballot:
    async with app.state.ctx.db() as session:
        return await session.get(Ballot, ballot_id)


async def case_status(app, case_id: int) -> str:
    async with app.state.ctx.db() as session:
        return (await session.get(FraudCase, case_id)).status


async def audit_events(app, action: str, target: str) -> list[AuditEvent]:
    async with app.state.ctx.db() as session:
        result = await session.execute(
            select(AuditEvent)
            .where(AuditEvent.action == action, AuditEvent.target == target)
            .order_by(AuditEvent.id)
        )
        return list(result.scalars())


async def post_page(http, page_url: str, url: str, data: dict):
    """Open ``page_url`` for its CSRF token, then post ``data`` to ``url``."""
    page = await http.get(page_url)
    assert page.status_code == 200, page.text
    return await http.post(url, data={**data, "csrf_token": csrf_of(page.text)})


@pytest.fixture
async def edition(app):
    return await edition_create(app)
