"""The published results say what was not counted, as a municipal protocol does: ballots
invalidated after verification and paper sheets recorded as invalid (totals only)."""

from __future__ import annotations

import pytest

from tests.factories.editions import voting_close
from tests.factories.staff import csrf_of, staff_client
from tests.verification.conftest import ballot_get, case_make, cast, post_page
from tests.verification.test_decisions import INVALID
from tests.voting.test_paper_console import paper_edition, today
from tests.voting.test_paper_desk import _publish

pytestmark = pytest.mark.flow


async def test_results_name_invalidated_ballots_and_invalid_paper_sheets(app, client):
    edition = await paper_edition(app)
    await cast(app, edition.slug, ["C1"])
    forged = await cast(app, edition.slug, ["C1"])
    case_id = await case_make(app, edition.id, [forged.ballot_id])  # as the scan finds it
    case_url = f"/staff/verify/{edition.slug}/cases/{case_id}"
    async with await staff_client(app, "verifier") as verifier:  # decided as a verifier does
        decision = {**INVALID, "ballot": [forged.ballot_id]}
        decided = await post_page(verifier, case_url, case_url + "/decide", decision)
        assert decided.status_code == 303
    assert (await ballot_get(app, forged.ballot_id)).status == "invalid"
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
