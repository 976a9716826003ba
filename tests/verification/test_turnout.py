"""Live turnout for the office and the verification team: per hour, day, area and channel,
as server-drawn SVG charts with their tables; counts only."""

from __future__ import annotations

import pytest

from tests.factories.staff import staff_client
from tests.verification.conftest import cast
from urna.core.db import utcnow
from urna.core.i18n import LOCAL_ZONE

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
