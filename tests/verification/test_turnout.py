"""Live turnout for the office and the verification team: per hour, day, area and channel,
as server-drawn SVG charts with their tables; counts only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from tests.factories.staff import staff_client
from tests.verification.conftest import cast
from urna.core.db import utcnow
from urna.core.i18n import LOCAL_ZONE
from urna.voting.models import Ballot

pytestmark = pytest.mark.flow


async def test_turnout_per_hour_day_area_and_channel(app, edition):
    north = await cast(app, edition.slug, ["C1"], street="ul. Lipowa")
    await cast(app, edition.slug, ["C2"], street="ul. Lipowa")
    await cast(app, edition.slug, ["C3"], street="ul. Słoneczna")
    async with await staff_client(app, "admin") as admin:
        page = await admin.get(f"/staff/verify/{edition.slug}/turnout")
    assert page.status_code == 200
    html = page.text
    assert html.count("<svg") == 4
    assert '<td>Północ</td><td class="num">2</td>' in html
    assert '<td>Południe</td><td class="num">1</td>' in html
    assert '<td>online</td><td class="num">3</td>' in html
    assert "Głosy liczone: 3." in html
    today = utcnow().astimezone(LOCAL_ZONE).date().isoformat()
    assert f'<td>{today}</td><td class="num">3</td>' in html
    assert north.who["last_name"] not in html


async def test_an_edition_without_ballots_or_cases(app, edition):
    async with await staff_client(app, "verifier") as verifier:
        turnout = await verifier.get(f"/staff/verify/{edition.slug}/turnout")
        cases = await verifier.get(f"/staff/verify/{edition.slug}")
        editions = await verifier.get("/staff/verify")
    assert turnout.status_code == 200 and "Nie ma jeszcze głosów." in turnout.text
    assert cases.status_code == 200 and "Brak spraw." in cases.text
    assert "Wszystkie sprawy są rozstrzygnięte." in cases.text
    assert f'href="/staff/verify/{edition.slug}"' in editions.text


async def test_the_hours_of_the_night_the_clocks_go_back_are_told_apart(app, edition):
    """02:00-03:00 on 25 October 2026 happens twice: each hour's label names its zone."""
    first = await cast(app, edition.slug, ["C1"])
    second = await cast(app, edition.slug, ["C2"])
    summer = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST, then 02:30 CET
    async with app.state.ctx.db() as session:
        for ballot, at in ((first, summer), (second, summer + timedelta(hours=1))):
            await session.execute(
                update(Ballot).where(Ballot.id == ballot.ballot_id).values(submitted_at=at)
            )
        await session.commit()
    async with await staff_client(app, "verifier") as verifier:
        html = (await verifier.get(f"/staff/verify/{edition.slug}/turnout")).text
    assert '<td>2026-10-25 02:00 CEST</td><td class="num">1</td>' in html
    assert '<td>2026-10-25 02:00 CET</td><td class="num">1</td>' in html
