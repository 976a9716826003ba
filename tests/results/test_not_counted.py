"""The published results say what was not counted, as a municipal protocol does: ballots
invalidated after verification and paper sheets recorded as invalid (totals only)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from tests.factories.editions import voting_close
from tests.factories.staff import csrf_of, staff_client
from tests.factories.voting import person, vote
from tests.voting.test_paper_console import paper_edition, today
from tests.voting.test_paper_desk import _publish
from urna.voting.models import Ballot

pytestmark = pytest.mark.flow


async def test_results_name_invalidated_ballots_and_invalid_paper_sheets(app, client):
    edition = await paper_edition(app)
    for who in (person(), person()):
        assert (await vote(client, app, edition.slug, who, ["C1"])).status_code == 303
        client.cookies.clear()
    async with app.state.ctx.db() as session:  # one of them invalidated, as a verifier does
        first = select(Ballot.id).where(Ballot.edition_id == edition.id).limit(1)
        invalid = update(Ballot).where(Ballot.id == first.scalar_subquery())
        await session.execute(invalid.values(status="invalid"))
        await session.commit()
    url = f"/staff/paper/{edition.slug}/invalid"
    async with await staff_client(app, "admin") as admin:
        page = (await admin.get(url)).text
        for sheet in ("N-1", "N-2", "N-3"):
            form = {"sheet": sheet, "collection_point": "Biblioteka", "collected_on": today()}
            recorded = await admin.post(
                url, data={**form, "reason": "nieczytelna", "csrf_token": csrf_of(page)}
            )
            assert recorded.status_code == 303
    await voting_close(app, edition.id)
    await _publish(app, edition)
    published = (await client.get(f"/e/{edition.slug}/results")).text
    said = "głosy unieważnione po weryfikacji: 1; nieważne karty papierowe: 3."
    assert said in published and "Policzone głosy: 1." in published
    await client.get("/lang/en")
    english = (await client.get(f"/e/{edition.slug}/results")).text
    assert "ballots invalidated after verification: 1; invalid paper ballots: 3." in english
