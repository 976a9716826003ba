"""At the end of the retention period the fraud scan's copies of personal data go with the
identities: the purge ``urna purge`` and the worker run leaves in the scan's tables no
ballot's IP address or network and no keyed hash of a contact, a home address or a
guardian, while the signals and cases keep their kind, score, ballots and status; a second
run changes nothing."""

from __future__ import annotations

import ipaddress
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.fraud.conftest import scan, scenario_cast, town_edition
from tests.fraud.scenario import scenario_build
from urna.core.db import transaction, utcnow
from urna.fraud import retention
from urna.fraud.models import FraudBallotFact, FraudCase, FraudSignal, FraudSignalBallot
from urna.jobs import scheduled
from urna.privacy import service as privacy
from urna.voting.models import Ballot, Voter

pytestmark = pytest.mark.flow  # the embedded default (SQLite) runs the scan and the purge


async def _scan_rows(app, edition_id: int) -> dict[str, list[dict]]:
    """The scan's rows of one edition, every column."""
    found = {}
    async with app.state.ctx.db() as session:
        for model in (FraudBallotFact, FraudSignal, FraudCase):
            rows = await session.execute(
                select(model)
                .where(model.edition_id == edition_id)
                .order_by(*model.__table__.primary_key)
            )
            found[model.__tablename__] = [row.model_dump() for row in rows.scalars()]
        links = await session.execute(
            select(FraudSignalBallot.signal_id, FraudSignalBallot.ballot_id)
            .join(FraudSignal, FraudSignal.id == FraudSignalBallot.signal_id)
            .where(FraudSignal.edition_id == edition_id)
            .order_by(FraudSignalBallot.signal_id, FraudSignalBallot.ballot_id)
        )
        found["links"] = [tuple(link) for link in links]
    return found


async def _personal(app, edition_id: int, listed) -> set[str]:
    """What the edition holds that names a person: ballots' addresses and their /24
    networks (but a listed data centre's, which the scan names by the list's range),
    their browser strings, voters' keyed hashes."""
    async with app.state.ctx.db() as session:
        agents = await session.execute(
            select(Ballot.user_agent).where(Ballot.edition_id == edition_id)
        )
        ips = await session.execute(select(Ballot.ip).where(Ballot.edition_id == edition_id))
        keyed = await session.execute(
            select(Voter.contact_key, Voter.address_key, Voter.guardian_key).where(
                Voter.edition_id == edition_id
            )
        )
        found = {
            str(ip)
            for ip in ips.scalars()
            if ip and not any(ipaddress.ip_address(str(ip)) in net for net in listed)
        }
        found |= {ip.rsplit(".", 1)[0] + "." for ip in found if "." in ip}  # "94.75.60."
        found |= {value for row in keyed for value in row if value}
        found |= {agent for agent in agents.scalars() if agent}
    return found


def _mentions(rows: dict[str, list], personal: set[str]) -> set[str]:
    text = repr(rows)
    return {value for value in personal if value in text}


async def test_the_purge_leaves_the_scan_no_address_and_no_keyed_hash(
    app, fraud_settings, monkeypatch
):
    """Through ``scheduled.purge``, the one entry of the worker's job and ``urna purge``,
    restricted to this test's edition (the database is shared with other tests)."""
    edition = await town_edition(app)
    await scenario_cast(app, edition, scenario_build(utcnow()))
    await scan(app, fraud_settings, edition)
    personal = await _personal(app, edition.id, fraud_settings.fraud_datacenter_cidrs)
    before = await _scan_rows(app, edition.id)
    kinds = {signal["kind"] for signal in before["fraud_signal"]}
    assert {"ip", "contact", "address", "program"} <= kinds  # the scan did name people
    assert _mentions(before, personal)  # … by their addresses and keyed hashes
    assert "python-requests/2.31" in _mentions(before, personal)  # … and a script's agent

    past = privacy.editions_past_retention

    async def ours(*, session, now=None):
        return [e for e in await past(session=session, now=now) if e.id == edition.id]

    async def purge(moment) -> tuple[list[str], dict[str, int]]:
        monkeypatch.setattr(privacy, "utcnow", lambda: moment)
        async with transaction(app.state.ctx.db) as session:
            reports, traces = await scheduled.purge(session=session, crypto=app.state.ctx.crypto)
        return [report.edition_slug for report in reports], traces

    monkeypatch.setattr(privacy, "editions_past_retention", ours)
    assert await purge(privacy.retention_ends_at(edition) - timedelta(days=1)) == ([], {})
    assert await _scan_rows(app, edition.id) == before

    ended = privacy.retention_ends_at(edition) + timedelta(days=1)
    reports, traces = await purge(ended)
    assert reports == [edition.slug]
    assert list(traces) == [edition.slug]
    after = await _scan_rows(app, edition.id)
    assert _mentions(after, personal) == set()
    assert after["links"] == before["links"]
    for table in ("fraud_signal", "fraud_case"):
        kept = ("id", "score", "kind", "status", "case_id")
        assert [{k: v for k, v in row.items() if k in kept} for row in after[table]] == [
            {k: v for k, v in row.items() if k in kept} for row in before[table]
        ]
    for old, new in zip(before["fraud_signal"], after["fraud_signal"], strict=True):
        if old["key"].split(":", 1)[0] in retention.KEY_KEPT:
            assert new["key"] == old["key"]
        else:
            assert new["key"] == f"{old['key'].split(':', 1)[0]}:~{old['id']}"

    assert await purge(ended) == ([], {})
    assert await _scan_rows(app, edition.id) == after
