"""What a verifier reads is in Polish time, as the signals are: a ballot's cast and its
session's requests, on a case's page and a ballot's, in the trail and on the timeline, to
the second with the zone (CET or CEST), the exact UTC instant kept in ``<time datetime>``.
Read in UTC, a signal at 20:03 and a ballot at 19:03:12 seem an hour apart."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from tests.factories.staff import staff_client
from tests.verification.conftest import Cast, case_page, cast
from urna.requestlog.models import RequestLog
from urna.voting.models import Ballot

pytestmark = pytest.mark.flow

SUMMER = datetime(2027, 5, 31, 21, 30, 5, tzinfo=UTC)
WINTER = datetime(2027, 1, 15, 21, 30, 5, tzinfo=UTC)
SUMMER_SHOWN = '<time datetime="2027-05-31T21:30:05Z">31.05.2027, 23:30:05 CEST</time>'
WINTER_SHOWN = '<time datetime="2027-01-15T21:30:05Z">15.01.2027, 22:30:05 CET</time>'


async def cast_at(app, slug: str, at: datetime, *, ip: str) -> Cast:
    """A ballot cast at ``at``: its session's requests moved with it, the cast one at ``at``."""
    made = await cast(app, slug, ["C1"], ip=ip)
    async with app.state.ctx.db() as session:
        ballot = await session.get(Ballot, made.ballot_id)
        rows = (
            await session.execute(
                select(RequestLog).where(RequestLog.session_hash == ballot.session_hash)
            )
        ).scalars()
        by_id = {row.request_id: (row.arrived_at, row.responded_at) for row in rows}
        shift = at - by_id[ballot.request_id][0]
        for request_id, (arrived, responded) in by_id.items():
            await session.execute(
                update(RequestLog)
                .where(RequestLog.request_id == request_id)
                .values(arrived_at=arrived + shift, responded_at=responded + shift)
            )
        await session.execute(update(Ballot).where(Ballot.id == ballot.id).values(submitted_at=at))
        await session.commit()
    return made


def read(html: str) -> str:
    """The page as a person reads it: without the instants kept for machines."""
    return re.sub(r' datetime="[^"]*"', "", html)


async def test_a_case_shows_its_ballots_and_trails_in_polish_time(app, edition):
    summer = await cast_at(app, edition.slug, SUMMER, ip="203.0.113.31")
    winter = await cast_at(app, edition.slug, WINTER, ip="203.0.113.31")
    _, html = await case_page(app, edition, [summer, winter], ip="203.0.113.31")
    # the ballot table and the trail row of the request that cast it
    assert html.count(SUMMER_SHOWN) == 2 and html.count(WINTER_SHOWN) == 2
    assert "Oddany (czas polski)" in html and "Nadeszło (czas polski)" in html
    shown = read(html)
    assert "21:30:05" not in shown and "UTC" not in shown
    timeline = shown[shown.index('class="chart timeline"') : shown.index("</svg>")]
    assert "15.01.2027, 22:30:0" in timeline and "CET" in timeline
    assert "31.05.2027, 23:30:0" in timeline and "CEST" in timeline


async def test_a_ballot_shows_its_cast_and_trail_in_polish_time(app, edition):
    ballot = await cast_at(app, edition.slug, WINTER, ip="203.0.113.32")
    async with await staff_client(app, "verifier") as verifier:
        page = await verifier.get(f"/staff/verify/{edition.slug}/ballots/{ballot.ballot_id}")
    assert page.status_code == 200
    assert page.text.count(WINTER_SHOWN) == 2  # cast, and the request that cast it
    shown = read(page.text)
    assert "21:30:05" not in shown and "UTC" not in shown
