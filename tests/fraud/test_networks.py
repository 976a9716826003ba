"""The network kind in the incremental scan: a /24 whose new ballots share no group with
most of its ballots is not read whole, yet a network group fires exactly when the full
scan's does."""

from dataclasses import replace
from datetime import timedelta

import pytest

from tests.fraud.conftest import scan, scenario_cast, town_edition
from tests.fraud.scenario import Scenario, scenario_build
from tests.fraud.test_incremental import snapshot
from urna.core.db import utcnow

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
