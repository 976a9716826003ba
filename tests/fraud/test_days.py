"""A burst's day is a calendar day in Polish time: a burst just after midnight belongs to
the day it happened on, not the UTC day before; the migration recounts the counters so."""

import asyncio
from datetime import UTC, date, datetime, time, timedelta

import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import select

from tests.conftest import fresh_database, make_settings
from tests.fraud.conftest import scan, town_edition
from tests.fraud.factories import Resident, ballots_insert
from urna.core import migrate
from urna.core.db import create_engine, utcnow
from urna.core.i18n import LOCAL_ZONE
from urna.fraud.models import FraudProjectDay, FraudSignal
from urna.main import create_app

pytestmark = pytest.mark.flow  # the embedded default (SQLite) counts its days too

BEFORE_DAY_COUNTS = "0018_street_ranges"  # the counters were UTC days
BURST = 25


def _local(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), LOCAL_ZONE).astimezone(UTC)


def residents(day: date) -> list[Resident]:
    """Three ballots for C1 at noon on each of the five days before ``day``, each from a
    network of its own, then a burst for it from one /24 between 00:04 and 00:52 that
    night, Polish time (22:04-23:52 UTC of the day before in summer, an hour later in
    winter)."""
    moments = [
        _local(day - timedelta(days=back), 12, 10 * k) for back in range(1, 6) for k in range(3)
    ]
    moments += [_local(day, 0, 4 + 2 * i) for i in range(BURST)]
    return [
        Resident(
            group="attack:burst" if i >= 15 else "honest:single",
            first_name="Jan",
            last_name="Nocny" + "abcdefghijklmnopqrstuvwxyz"[i % 26] * (1 + i // 26),
            street="ul. Lipowa",
            house=f"{100 + i}",
            born=date(1960 + i % 40, 5, 1),
            phone=f"6011003{i:02d}",
            at=at,
            choices=["C1"],
            ip=f"94.81.7.{10 + i % 5}" if i >= 15 else f"83.{30 + i}.2.9",
            user_agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Firefox/132.0",
        )
        for i, at in enumerate(moments)
    ]


def the_night() -> date:
    return (utcnow() - timedelta(days=2)).astimezone(LOCAL_ZONE).date()


async def test_a_burst_after_midnight_is_counted_and_named_on_its_own_day(app, fraud_settings):
    edition = await town_edition(app)
    night = the_night()
    await ballots_insert(app, edition, residents(night))
    await scan(app, fraud_settings, edition)
    async with app.state.ctx.db() as session:
        [burst] = (
            await session.execute(
                select(FraudSignal).where(
                    FraudSignal.edition_id == edition.id, FraudSignal.kind == "burst"
                )
            )
        ).scalars()
    params = burst.evidence["params"]
    # the night's own ballots, not those of the noon before in the same UTC day
    assert (params["day"], params["n"], params["concentrated"]) == (night.isoformat(), BURST, BURST)


async def _counters(url: str, edition_id: int) -> dict[date, int]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(FraudProjectDay.day, FraudProjectDay.ballots).where(
                    FraudProjectDay.edition_id == edition_id
                )
            )
            return {date(1970, 1, 1) + timedelta(days=day): n for day, n in rows}
    finally:
        await engine.dispose()


async def test_the_migration_recounts_the_counters_in_polish_days(tmp_path):
    url, drop = await fresh_database(tmp_path)
    night = the_night()
    try:
        settings = make_settings(url)
        application = create_app(settings)
        async with LifespanManager(application):
            edition = await town_edition(application)
            await ballots_insert(application, edition, residents(night))
            await scan(application, settings, edition)
        polish = await _counters(url, edition.id)
        assert polish[night] == BURST and polish[night - timedelta(days=1)] == 3
        await asyncio.to_thread(migrate.downgrade, url, BEFORE_DAY_COUNTS)
        utc = await _counters(url, edition.id)
        assert utc[night - timedelta(days=1)] == 3 + BURST and night not in utc
        await asyncio.to_thread(migrate.upgrade, url)
        assert await _counters(url, edition.id) == polish
    finally:
        await drop()
