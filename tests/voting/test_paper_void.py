"""A sheet typed but not counted yet can be recorded as invalid after all: its paper void
on a second reading, or its number typed by mistake. Publication waits for every sheet to
be settled, so without this a sheet typed under a wrong number held the results for good
(settling it meant typing a ballot nobody cast)."""

from __future__ import annotations

import pytest

from tests.factories.editions import voting_close
from tests.factories.staff import csrf_of, staff_client
from tests.factories.voting import person
from tests.voting.test_paper_console import audit_actions, ballot, ballots, entries, paper_edition
from tests.voting.test_paper_desk import _publish, two_clerks

pytestmark = pytest.mark.flow


async def _void(client, slug: str, entry_id: int, reason: str):
    url = f"/staff/paper/{slug}/void/{entry_id}"
    page = await client.get(url)
    return page, await client.post(url, data={"reason": reason, "csrf_token": csrf_of(page.text)})


async def test_a_sheet_waiting_for_its_second_entry_is_voided_and_no_longer_holds_the_results(
    app, client
):
    edition = await paper_edition(app)
    async with two_clerks(app, edition) as desk:
        entry = await desk.typed_once(person(), "W-1")
        listed = (await desk.first.get(f"{desk.url}/second")).text
        assert f'href="{desk.url}/void/{entry.id}"' in listed  # the typist can void it too
        page, empty = await _void(desk.first, edition.slug, entry.id, "  ")
        assert page.status_code == 200 and "W-1" in page.text
        assert empty.status_code == 400 and 'href="#f-reason"' in empty.text
        assert [e.status for e in await entries(app, edition.id, "W-1")] == ["awaiting_second"]
        _, voided = await _void(desk.first, edition.slug, entry.id, "Numer wpisany omyłkowo")
        assert voided.status_code == 303
        again = (await desk.first.get(f"/staff/paper/{edition.slug}/void/{entry.id}")).text
        assert 'id="not-voidable"' in again and "<form" not in again.split("</h1>")[1]
    [sheet] = await entries(app, edition.id, "W-1")
    assert (sheet.status, sheet.invalid_reason, sheet.data_enc) == (
        "invalid", "Numer wpisany omyłkowo", None,
    )  # fmt: skip
    assert await ballots(app, edition.id) == []
    assert "paper.void" in await audit_actions(app, f"paper:{edition.slug}/W-1")
    await voting_close(app, edition.id)
    await _publish(app, edition)  # it waited for this sheet; now it does not
    published = (await client.get(f"/e/{edition.slug}/results")).text
    assert "nieważne karty papierowe: 1." in published


async def test_entries_that_differ_are_voided_with_what_both_held_dropped(app):
    edition = await paper_edition(app)
    who = person()
    async with two_clerks(app, edition) as desk:
        entry = await desk.typed_once(who, "M-1")
        differs = await desk.typed_again(entry, {**who, "last_name": who["last_name"] + "x"})
        assert differs.status_code == 303
        assert [e.status for e in await entries(app, edition.id, "M-1")][0] == "mismatch"
        _, voided = await _void(desk.second, edition.slug, entry.id, "Karta nieczytelna")
        assert voided.status_code == 303
    sheets = await entries(app, edition.id, "M-1")
    assert sheets[0].status == "invalid" and sheets[0].mismatch_fields == []
    assert all(e.data_enc is None for e in sheets) and len(sheets) == 2


async def test_a_counted_sheet_is_not_voided(app):
    edition = await paper_edition(app)
    url = f"/staff/paper/{edition.slug}"
    async with await staff_client(app, "admin") as admin:
        page = (await admin.get(url)).text
        assert (
            await admin.post(url, data=ballot(person(), ["C1"], page, sheet="C-1"))
        ).status_code == 303
        [entry] = await entries(app, edition.id, "C-1")
        shown, refused = await _void(admin, edition.slug, entry.id, "pomyłka")
    assert 'id="not-voidable"' in shown.text
    assert refused.status_code == 409
    assert [e.status for e in await entries(app, edition.id, "C-1")] == ["counted"]
    assert len(await ballots(app, edition.id)) == 1
