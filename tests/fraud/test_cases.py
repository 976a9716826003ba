"""Cases keep their ids; a decided case is left alone until new ballots join it; the
allow-list silences a known shared network."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from tests.factories.staff import staff_client
from tests.fraud.conftest import scan, town_edition
from tests.fraud.factories import Resident, ballots_insert
from urna.core.audit import AuditEvent
from urna.core.db import utcnow
from urna.fraud import service
from urna.fraud.models import FraudCase

pytestmark = pytest.mark.flow  # the embedded default (SQLite) runs the scan too


def one_computer(ip: str, count: int, start: int = 0) -> list[Resident]:
    """``count`` residents at different addresses, voting for the same projects from
    one computer, an hour apart."""
    at = utcnow() - timedelta(days=2)
    return [
        Resident(
            group="attack:lublin",
            first_name="Jan",
            last_name="Kowal" + "abcdefghijklmnopqrst"[start + i],
            street="ul. Lipowa",
            house=f"{start + i + 1}/2",
            born=date(1970 + start + i, 3, 1),
            phone=f"6011002{start + i:02d}",
            at=at + timedelta(hours=start + i),
            choices=["C1", "C3"],
            ip=ip,
            user_agent="Mozilla/5.0 (Windows NT 10.0) Firefox/132.0",
            gaps=[30 + i, 80 + 7 * i, 20, 50 + 3 * i, 10],
        )
        for i in range(count)
    ]


async def test_decided_case_is_kept_until_new_ballots_reopen_it(app, fraud_settings):
    edition = await town_edition(app)
    await ballots_insert(app, edition, one_computer("198.51.100.23", 8))
    [case] = (await scan(app, fraud_settings, edition)).cases
    assert case.ballots == 8 and "ip" in case.kinds
    async with app.state.ctx.db() as session:  # a verifier decides it (urna.verification)
        await session.execute(
            update(FraudCase).where(FraudCase.id == case.id).values(status="decided")
        )
        await session.commit()
    [again] = (await scan(app, fraud_settings, edition)).cases
    assert (again.id, again.status, again.ballots) == (case.id, "decided", 8)
    assert again.updated_at == case.updated_at

    # the network is allowed now: an open case would go, a decided one stays as decided
    async with app.state.ctx.db() as session:
        entry = await service.allow_add(
            session=session, cidr="198.51.100.23", note="test", actor_id=None
        )
        await session.commit()
    [kept] = (await scan(app, fraud_settings, edition)).cases
    assert (kept.id, kept.status, kept.ballots) == (case.id, "decided", 8)
    async with app.state.ctx.db() as session:
        await service.allow_remove(session=session, allow_id=entry.id, actor_id=None)
        await session.commit()

    await ballots_insert(app, edition, one_computer("198.51.100.23", 3, start=8))
    result = await scan(app, fraud_settings, edition, full=False)
    [reopened] = result.cases
    assert result.reopened == [case.id]
    assert (reopened.id, reopened.status, reopened.ballots) == (case.id, "open", 11)
    async with app.state.ctx.db() as session:
        detail = await service.case_get(session=session, case_id=case.id)
    assert "3" in detail.note and detail.note


async def test_allow_list_silences_a_shared_network_and_is_audited(app, fraud_settings):
    edition = await town_edition(app)
    await ballots_insert(app, edition, one_computer("100.64.77.77", 7))
    [case] = (await scan(app, fraud_settings, edition)).cases
    async with app.state.ctx.db() as session:
        entry = await service.allow_add(
            session=session, cidr="100.64.77.0/24", note="Biblioteka, czytelnia", actor_id=None
        )
        await session.commit()
    try:
        assert (await scan(app, fraud_settings, edition)).cases == []
        async with app.state.ctx.db() as session:
            assert await session.get(FraudCase, case.id) is None
            events = (
                (
                    await session.execute(
                        select(AuditEvent).where(AuditEvent.target == "cidr:100.64.77.0/24")
                    )
                )
                .scalars()
                .all()
            )
        assert [e.action for e in events][-1] == "fraud.allow.add"
    finally:
        async with app.state.ctx.db() as session:
            await service.allow_remove(session=session, allow_id=entry.id, actor_id=None)
            await session.commit()
    [back] = (await scan(app, fraud_settings, edition)).cases
    assert back.ballots == 7 and "ip" in back.kinds


async def test_allow_add_refuses_a_bad_network_or_a_missing_note(app):
    from urna.core.errors import FormInvalid

    async with app.state.ctx.db() as session:
        for cidr, note, field in (("300.1.1.1", "x", "cidr"), ("192.0.2.0/24", " ", "note")):
            try:
                await service.allow_add(session=session, cidr=cidr, note=note, actor_id=None)
            except FormInvalid as error:
                assert field in error.errors
            else:
                raise AssertionError(f"{cidr!r} {note!r} was accepted")


async def test_a_reopened_case_says_why_in_the_reader_s_language(app, fraud_settings):
    edition = await town_edition(app)
    await ballots_insert(app, edition, one_computer("198.51.100.24", 6))
    [case] = (await scan(app, fraud_settings, edition)).cases
    async with app.state.ctx.db() as session:
        await session.execute(
            update(FraudCase).where(FraudCase.id == case.id).values(status="decided")
        )
        await session.commit()
    await ballots_insert(app, edition, one_computer("198.51.100.24", 2, start=6))
    [reopened] = (await scan(app, fraud_settings, edition)).cases
    assert reopened.status == "open"
    async with await staff_client(app, "verifier") as verifier:
        await verifier.get("/staff/lang/en")
        page = (await verifier.get(f"/staff/verify/{edition.slug}/cases/{case.id}")).text
    said = "Reopened after the decision: new ballots that joined this case: 2 ("
    assert said in page, page  # in English, its moment in Polish time with the zone
    assert re.search(r"joined this case: 2 \(\d+ \w+ \d{4}, \d\d:\d\d CES?T\)\.", page)
