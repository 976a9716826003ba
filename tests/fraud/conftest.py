"""The scenario, cast once per module into an edition of its own, and scanned."""

from __future__ import annotations

import ipaddress
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import delete, func, select

from tests.factories.editions import edition_create
from tests.fraud.factories import ballots_insert, cast_over_http
from tests.fraud.scenario import DATACENTER, KIOSK_IP, Scenario, scenario_build
from urna.core.db import utcnow
from urna.editions.models import Edition
from urna.fraud import service
from urna.voting.models import Ballot, Voter


async def editions_drop(app, after_id: int) -> None:
    """Delete the editions made after ``after_id`` with everything they hold (cascades):
    later tests that count every voter of the shared database must not see ours."""
    async with app.state.ctx.db() as session:
        for model in (Ballot, Voter, Edition):  # choices name pools: ballots go first
            column = model.id if model is Edition else model.edition_id
            await session.execute(delete(model).where(column > after_id))
        await session.commit()


async def last_edition_id(app) -> int:
    async with app.state.ctx.db() as session:
        return (await session.execute(select(func.max(Edition.id)))).scalar_one() or 0


@pytest.fixture(autouse=True)
async def own_editions(app):
    """Each test's editions are gone when it ends."""
    before = await last_edition_id(app)
    yield
    await editions_drop(app, before)


@pytest.fixture(scope="session")
def fraud_settings(settings):
    """The test settings with the data-centre list the scenario's script runs from."""
    return settings.model_copy(
        update={"fraud_datacenter_cidrs": [ipaddress.ip_network(DATACENTER)]}
    )


async def town_edition(app):
    now = utcnow()
    return await edition_create(
        app,
        max_ballots_per_contact=5,
        voting_opens_at=(now - timedelta(days=10, hours=1)).isoformat(),
    )


async def scenario_cast(app, edition, scenario: Scenario, indexes=None) -> dict[int, str]:
    """Cast the scenario's residents (the ``http`` ones over HTTP, one client each);
    return ballot id → group."""
    wanted = range(len(scenario.residents)) if indexes is None else indexes
    groups: dict[int, str] = {}
    direct = [scenario.residents[i] for i in wanted if i not in scenario.http]
    groups.update(await ballots_insert(app, edition, direct))
    for i in wanted:
        if i in scenario.http:
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                resident = scenario.residents[i]
                groups[await cast_over_http(c, app, edition, resident)] = resident.group
    return groups


async def scan(app, settings, edition, *, full: bool = True):
    """A full (or incremental) scan of ``edition`` in a unit of work of its own."""
    ctx = app.state.ctx
    async with ctx.db() as session:
        run = service.scan_full if full else service.scan_incremental
        edition = await session.get(Edition, edition.id)
        result = await run(session=session, crypto=ctx.crypto, settings=settings, edition=edition)
        await session.commit()
    return result


@pytest.fixture(scope="module")
async def town(app, fraud_settings):
    """(edition, scenario, ballot id → group, scan result) after one full scan."""
    before = await last_edition_id(app)
    edition = await town_edition(app)
    scenario = scenario_build(utcnow())
    ctx = app.state.ctx
    async with ctx.db() as session:
        kiosk = await service.allow_add(
            session=session, cidr=KIOSK_IP, note="Urząd miasta, kiosk", actor_id=None
        )
        await session.commit()
    groups = await scenario_cast(app, edition, scenario)
    result = await scan(app, fraud_settings, edition)
    yield edition, scenario, groups, result
    async with ctx.db() as session:
        await service.allow_remove(session=session, allow_id=kiosk.id, actor_id=None)
        await session.commit()
    await editions_drop(app, before)
