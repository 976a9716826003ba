"""The incremental scan, run as ballots arrive, finds the cases the full scan finds."""

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select

from tests.fraud.conftest import scan, scenario_cast, town_edition
from tests.fraud.scenario import Scenario, scenario_build
from urna.core.db import utcnow
from urna.editions.models import Edition
from urna.fraud import service
from urna.fraud.models import FraudProjectDay


async def snapshot(session, edition_id):
    """Cases as (ballots, score, signals (kind, key, score, ballots)), and their ids."""
    cases = {}
    for case in await service.cases_list(session=session, edition_id=edition_id):
        detail = await service.case_get(session=session, case_id=case.id)
        signals = frozenset(
            (s.kind, s.key, s.score, frozenset(s.ballot_ids)) for s in detail.signals
        )
        cases[case.id] = (frozenset(detail.ballot_ids), case.score, signals)
    return cases


async def project_days(session, edition_id):
    rows = await session.execute(
        select(FraudProjectDay.project_id, FraudProjectDay.day, FraudProjectDay.ballots).where(
            FraudProjectDay.edition_id == edition_id
        )
    )
    return sorted(rows.all())


async def test_incremental_in_batches_equals_the_full_scan(app, fraud_settings):
    edition = await town_edition(app)
    built = scenario_build(utcnow())
    # one address casting a ballot a day: no batch alone holds enough of them to fire
    steady = [
        replace(
            r,
            last_name=r.last_name + "ski",
            ip="81.190.7.7",
            at=utcnow() - timedelta(days=9.5 - day),
        )
        for day, r in enumerate(r for r in built.residents if r.group == "honest:single")
        if day < 10
    ]
    scenario = Scenario(residents=built.residents + steady, http=set())
    order = sorted(range(len(scenario.residents)), key=lambda i: scenario.residents[i].at)
    ctx = app.state.ctx
    size = len(order) // 6 + 1
    batches = [order[i : i + size] for i in range(0, len(order), size)]
    for batch in batches:
        await scenario_cast(app, edition, scenario, batch)
        result = await scan(app, fraud_settings, edition, full=False)
        assert result.ballots_scanned == len(batch)
    async with ctx.db() as session:
        incremental = await snapshot(session, edition.id)
        counted = await project_days(session, edition.id)
        # a rescan of ballots already counted (from an earlier mark) changes no counter
        result = await service.scan_incremental(
            session=session,
            crypto=ctx.crypto,
            settings=fraud_settings,
            edition=await session.get(Edition, edition.id),
            since_ballot_id=0,
        )
        assert result.ballots_scanned == len(order)
        assert await project_days(session, edition.id) == counted
        await session.rollback()
    await scan(app, fraud_settings, edition)
    async with ctx.db() as session:
        full = await snapshot(session, edition.id)
        # the counters the incremental scans changed ballot by ballot are the full recount's
        assert await project_days(session, edition.id) == counted
    assert len(full) >= 6
    assert any(
        kind == "ip" and key == "ip:81.190.7.7"
        for *_, signals in full.values()
        for kind, key, _score, _ballots in signals
    )
    # the same cases, with the same ids: a rescan updates them in place
    assert incremental == full
