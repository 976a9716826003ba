"""The network kind in the incremental scan: a /24 whose new ballots share no group with
most of its ballots is not read whole, yet a network group fires exactly when the full
scan's does."""

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.fraud.conftest import scan, scenario_cast, town_edition
from tests.fraud.scenario import Scenario, scenario_build
from tests.fraud.test_incremental import snapshot
from urna.core.db import utcnow
from urna.fraud import service
from urna.voting.models import Ballot

pytestmark = pytest.mark.flow  # the embedded default (SQLite) runs the scan too

CROWDED = "94.75.60"  # 13 ballots from 3 addresses: the network kind fires
SPARSE = "94.75.61"  # two busy addresses among 30 quiet ones: it does not


def _ballots(templates, plan: list[tuple[str, float]]):
    """One ballot per (IP, days ago), each a different person (from the scenario's
    single residents); the busy addresses choose C1, the others C2 and C3."""
    return [
        replace(
            r,
            last_name=r.last_name + "wicz" + "abcdefghijklmnopqrstuvwxyz"[i % 26] * (1 + i // 26),
            ip=ip,
            at=utcnow() - timedelta(days=ago),
            choices=["C1"] if ip.split(".")[-1] in ("1", "2") else ["C2", "C3"],
        )
        for i, (r, (ip, ago)) in enumerate(zip(templates, plan, strict=True))
    ]


def _plan() -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """(earlier ballots, later ones): the later ones complete the crowded network to the
    floor, and the sparse network's two busy addresses, whose 12 ballots alone would
    look like a network group (12 from 2 addresses) were the network not read whole."""
    earlier = [(f"{CROWDED}.{1 + i % 3}", 3 + i / 10) for i in range(11)]
    earlier += [(f"{SPARSE}.{1 + i % 2}", 3 + i / 10) for i in range(10)]
    earlier += [(f"{SPARSE}.{10 + i}", 2 + i / 20) for i in range(30)]
    later = [(f"{CROWDED}.3", 1.0), (f"{SPARSE}.1", 0.9), (f"{SPARSE}.2", 0.8)]
    return earlier, later


def _network_keys(cases) -> set[str]:
    return {
        key
        for *_, signals in cases.values()
        for kind, key, _score, _ballots in signals
        if kind == "network"
    }


async def test_network_groups_as_the_full_scan_finds_them(app, fraud_settings):
    edition = await town_edition(app)
    singles = [r for r in scenario_build(utcnow()).residents if r.group == "honest:single"]
    earlier, later = _plan()
    residents = _ballots(singles[: len(earlier) + len(later)], earlier + later)
    scenario = Scenario(residents=residents, http=set())
    ctx = app.state.ctx
    await scenario_cast(app, edition, scenario, range(len(earlier)))
    await scan(app, fraud_settings, edition, full=False)
    await scenario_cast(app, edition, scenario, range(len(earlier), len(residents)))
    await scan(app, fraud_settings, edition, full=False)
    async with ctx.db() as session:
        incremental = await snapshot(session, edition.id)
    await scan(app, fraud_settings, edition)
    async with ctx.db() as session:
        full = await snapshot(session, edition.id)
    assert _network_keys(full) == {f"net:{CROWDED}.0/24"}
    assert incremental == full


def _signal_ballots(cases, key: str) -> frozenset[int]:
    [ballots] = [
        ballots
        for *_, signals in cases.values()
        for _k, s_key, _s, ballots in signals
        if s_key == key
    ]
    return ballots


async def test_a_signal_that_loses_ballots_keeps_only_its_members(app, fraud_settings):
    """An address of a fired network is allowed: the network's signal stays, its ballots
    from that address leave it (a rescan rewrites only the links that changed)."""
    edition = await town_edition(app)
    singles = [r for r in scenario_build(utcnow()).residents if r.group == "honest:single"]
    plan = [(f"{CROWDED}.{1 + i % 4}", 3 + i / 10) for i in range(16)]
    groups = await scenario_cast(
        app, edition, Scenario(residents=_ballots(singles[:16], plan), http=set())
    )
    key = f"net:{CROWDED}.0/24"
    ctx = app.state.ctx
    await scan(app, fraud_settings, edition)
    async with ctx.db() as session:
        assert _signal_ballots(await snapshot(session, edition.id), key) == set(groups)
        entry = await service.allow_add(
            session=session, cidr=f"{CROWDED}.4", note="Biblioteka", actor_id=None
        )
        await session.commit()
    try:
        for full in (False, True):
            await scan(app, fraud_settings, edition, full=full)
            async with ctx.db() as session:
                kept = _signal_ballots(await snapshot(session, edition.id), key)
                ips = dict((await session.execute(select(Ballot.id, Ballot.ip))).all())
            assert kept == {b for b in groups if ips[b] != f"{CROWDED}.4"}
            assert len(kept) == 12
    finally:
        async with ctx.db() as session:
            await service.allow_remove(session=session, allow_id=entry.id, actor_id=None)
            await session.commit()
