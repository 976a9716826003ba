"""The office's list of collection points is kept right: a point is renamed (audited;
the sheets that name it follow, so its subtotals stay one) and a point no sheet names is
removed; one that sheets name stays, and the clerk is told why. Before, a point typed
wrongly stayed on the list for the whole edition."""

from __future__ import annotations

import re

import pytest

from tests.factories.staff import csrf_of, staff_client
from tests.factories.voting import person
from tests.voting.test_paper_console import POINTS, audit_actions, ballot, entries, paper_edition
from urna.voting import paper_sheets

pytestmark = pytest.mark.flow


async def _points(app, edition_id: int) -> list[str]:
    async with app.state.ctx.db() as session:
        return await paper_sheets.paper_collection_points(session=session, edition_id=edition_id)


async def test_a_point_is_renamed_with_its_sheets_and_one_without_sheets_removed(app):
    edition = await paper_edition(app)
    url = f"/staff/paper/{edition.slug}"
    async with await staff_client(app, "admin") as admin:
        page = (await admin.get(url)).text
        typed = ballot(person(), ["C1"], page, sheet="P-1", collection_point="Urząd")
        assert (await admin.post(url, data=typed)).status_code == 303
        listed = (await admin.get(f"{url}/points")).text
        ids = dict((name, int(pid)) for pid, name in re.findall(r'/points/(\d+)">([^<]+)<', listed))
        assert set(ids) == {"Urząd Gminy, pok. 12", "Biblioteka", "Urząd"}
        point = f"{url}/points/{ids['Urząd']}"
        form = (await admin.get(point)).text
        taken = await admin.post(point, data={"name": "biblioteka", "csrf_token": csrf_of(form)})
        assert taken.status_code == 400 and "jest już na liście" in taken.text
        renamed = await admin.post(
            point, data={"name": "Urząd Miasta", "csrf_token": csrf_of(form)}
        )
        assert renamed.status_code == 303
        kept = await admin.post(f"{point}/remove", data={"csrf_token": csrf_of(form)})
        assert kept.status_code == 409 and "nie można go usunąć" in kept.text
        library = f"{url}/points/{ids['Biblioteka']}"
        removed = await admin.post(f"{library}/remove", data={"csrf_token": csrf_of(form)})
        assert removed.status_code == 303
    assert sorted(await _points(app, edition.id)) == sorted([POINTS[0], "Urząd Miasta"])
    assert [e.collection_point for e in await entries(app, edition.id, "P-1")] == ["Urząd Miasta"]
    actions = await audit_actions(app, f"paper:{edition.slug}")
    assert "paper.point_rename" in actions and "paper.point_remove" in actions
