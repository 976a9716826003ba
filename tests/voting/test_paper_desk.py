"""The paper desk as a clerk works it: the back button, a second click, an address typed
by hand, a sheet still waiting when the results come. Whatever happens, an answer the
clerk can read (never a 500), and every sheet typed from paper counted once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from tests.factories.editions import voting_close
from tests.factories.results import run_drawn
from tests.factories.staff import csrf_of, staff_client, staff_user_create
from tests.factories.voting import person
from tests.voting.test_paper_console import POINTS, ballot, entries, paper_edition, today
from urna.core.db import transaction, utcnow
from urna.editions import service as editions
from urna.editions.models import Edition
from urna.results import service as results
from urna.voting import paper_points, paper_sheets
from urna.voting.models import PaperEntry

pytestmark = pytest.mark.flow


@dataclass
class TwoClerks:
    """Two clerks at one edition's desk: the first types sheets once (double entry),
    the second types them again."""

    app: Any
    edition: Any
    first: Any
    second: Any

    @property
    def url(self) -> str:
        return f"/staff/paper/{self.edition.slug}"

    async def typed_once(self, who: dict, sheet: str, numbers=("C1",)) -> PaperEntry:
        page = (await self.first.get(self.url)).text
        data = ballot(who, list(numbers), page, sheet=sheet, double_entry="1")
        assert (await self.first.post(self.url, data=data)).status_code == 303
        [entry] = await entries(self.app, self.edition.id, sheet)
        return entry

    async def typed_again(self, entry: PaperEntry, who: dict, numbers=("C1",)):
        url = f"{self.url}/second/{entry.id}"
        page = (await self.second.get(url)).text
        return await self.second.post(url, data=ballot(who, list(numbers), page))


@asynccontextmanager
async def two_clerks(app, edition) -> AsyncIterator[TwoClerks]:
    async with (
        await staff_client(app, "admin") as first,
        await staff_client(app, "admin") as second,
    ):
        yield TwoClerks(app, edition, first, second)


@pytest.mark.parametrize("entered", ["99999999999999999999999", "9223372036854775808", "0"])
async def test_an_outcome_number_beyond_any_sheet_shows_the_desk(app, entered):
    edition = await paper_edition(app)
    async with await staff_client(app, "admin") as admin:
        page = await admin.get(f"/staff/paper/{edition.slug}?entered={entered}")
    assert page.status_code == 200 and 'id="outcome"' not in page.text


async def _publish(app, edition) -> None:
    """The office publishes the results as the console does, with the app's checks."""
    async with transaction(app.state.ctx.db) as session:
        await _publish_in(session, app, edition.id)


async def _publish_in(session, app, edition_id: int) -> None:
    """The publication's work in ``session``, committed (or not yet) by the caller."""
    edition = await session.get(Edition, edition_id)  # as voting_close left it
    run = await run_drawn(session, edition)
    await results.run_publish(
        session=session,
        edition=edition,
        run_id=run.id,
        actor_id=None,
        checks=app.state.ctx.publish_checks,
    )


async def test_results_wait_for_every_paper_sheet_to_be_settled(app):
    """A sheet waiting for its second entry (or whose two entries differ) is a ballot
    the results would leave out for good: publishing waits until it is settled."""
    edition = await paper_edition(app)
    who = person()
    async with two_clerks(app, edition) as desk:
        entry = await desk.typed_once(who, "S-1")
        await voting_close(app, edition.id)
        with pytest.raises(results.ResultsError) as refused:
            await _publish(app, edition)
        assert refused.value.message == paper_sheets.SHEETS_UNSETTLED
        assert (await desk.typed_again(entry, who)).status_code == 303
    await _publish(app, edition)
    assert [e.status for e in await entries(app, edition.id, "S-1")] == ["counted", "matched"]


async def test_no_paper_ballot_is_entered_after_the_results_are_published(app):
    """Published results are final: a sheet typed after them would be a ballot they do not
    count. The clerk is told so, in Polish and in English, and nothing is written."""
    edition = await paper_edition(app)
    url = f"/staff/paper/{edition.slug}"
    async with await staff_client(app, "admin") as admin:
        page = (await admin.get(url)).text  # the forms, opened before the publication
        invalid = (await admin.get(f"{url}/invalid")).text
        await voting_close(app, edition.id)
        await _publish(app, edition)
        late = await admin.post(url, data=ballot(person(), ["C1"], page, sheet="L-1"))
        assert late.status_code == 409 and "zostały opublikowane" in late.text
        form = {"sheet": "L-2", "collection_point": "Biblioteka", "reason": "nieczytelna"}
        form.update(collected_on=today(), csrf_token=csrf_of(invalid))
        late = await admin.post(f"{url}/invalid", data=form)
        assert late.status_code == 409 and "zostały opublikowane" in late.text
        await admin.get("/staff/lang/en")
        late = await admin.post(url, data=ballot(person(), ["C1"], page, sheet="L-1"))
        assert late.status_code == 409 and "have been published" in late.text
    assert await entries(app, edition.id, "L-1") == []
    assert await entries(app, edition.id, "L-2") == []


@pytest.mark.postgres_only
async def test_a_sheet_saved_while_the_results_are_published_waits_and_is_refused(app):
    """The clerk saves a sheet while the office publishes: had it read the results as not
    out yet, it would be typed in behind them, waiting for a second entry that nobody may
    give any more (a ballot lost). It waits for the publication, then is refused."""
    edition = await paper_edition(app)
    url = f"/staff/paper/{edition.slug}"
    async with await staff_client(app, "admin") as admin:
        page = (await admin.get(url)).text
        sheet = ballot(person(), ["C1"], page, sheet="P-1", double_entry="1")
        await voting_close(app, edition.id)
        async with transaction(app.state.ctx.db) as session:  # published, not yet committed
            await _publish_in(session, app, edition.id)
            saving = asyncio.create_task(admin.post(url, data=sheet))
            await asyncio.wait({saving}, timeout=2)
        saved = await saving
    assert saved.status_code == 409 and "zostały opublikowane" in saved.text
    assert await entries(app, edition.id, "P-1") == []


@pytest.mark.postgres_only
async def test_the_writing_service_holds_the_desk_whoever_calls_it(app):
    """Not the page but the service holds the desk: a sheet recorded through it by any
    caller (here no view at all) waits for a publication under way, then is refused."""
    edition = await paper_edition(app)
    operator, _, _ = await staff_user_create(app, "admin")
    await voting_close(app, edition.id)
    form = {"sheet": "P-2", "collection_point": "Biblioteka", "reason": "nieczytelna"}
    form["collected_on"] = today()

    async def record() -> None:
        async with transaction(app.state.ctx.db) as session:
            snapshot = await editions.edition_snapshot(session=session, slug=edition.slug)
            await paper_points.paper_invalid_record(
                session=session,
                snapshot=snapshot,
                operator_id=operator.id,
                form=form,
                published=results.results_are_published,
            )

    async with transaction(app.state.ctx.db) as session:  # published, not yet committed
        await _publish_in(session, app, edition.id)
        recording = asyncio.create_task(record())
        await asyncio.wait({recording}, timeout=2)
        assert not recording.done()  # waiting on the desk, not reading the results yet
    with pytest.raises(paper_sheets.PaperClosed) as refused:
        await recording
    assert refused.value.message == paper_sheets.RESULTS_OUT
    assert await entries(app, edition.id, "P-2") == []


async def test_the_desk_says_it_is_closed_before_a_sheet_is_typed(app):
    """Once the results are out, the forms are not offered: the clerk learns it before
    typing a whole sheet, not after. The subtotals stay to be read."""
    edition = await paper_edition(app)
    url = f"/staff/paper/{edition.slug}"
    await voting_close(app, edition.id)
    await _publish(app, edition)
    async with await staff_client(app, "admin") as admin:
        desk = (await admin.get(url)).text
        invalid = (await admin.get(f"{url}/invalid")).text
    for page in (desk, invalid):
        assert "zostały opublikowane" in page and "Niczego nie zapisano" not in page
        assert f'action="{url}' not in page
    assert 'id="subtotals"' in desk


async def test_before_voting_opens_the_desk_names_when_it_opens_and_closes(app):
    soon = (utcnow() + timedelta(days=2)).isoformat()
    edition = await paper_edition(app, voting_opens_at=soon)
    async with await staff_client(app, "admin") as admin:
        desk = (await admin.get(f"/staff/paper/{edition.slug}")).text
    said = "od rozpoczęcia głosowania do dnia ogłoszenia wyników"  # when entry stops
    assert said in desk and f'action="/staff/paper/{edition.slug}"' not in desk


async def test_a_sheet_that_no_longer_waits_offers_no_second_entry(app):
    """The Back button, or the first operator following a link: the page says the sheet
    cannot be typed again now, before a whole sheet is typed for nothing."""
    edition = await paper_edition(app)
    who = person()
    url = f"/staff/paper/{edition.slug}"
    async with two_clerks(app, edition) as desk:
        entry = await desk.typed_once(who, "T-1")
        own = await desk.first.get(f"{url}/second/{entry.id}")
        assert own.status_code == 409 and "inny operator" in own.text
        assert f'action="{url}/second/{entry.id}"' not in own.text
        assert (await desk.typed_again(entry, who)).status_code == 303
        back = await desk.second.get(f"{url}/second/{entry.id}")
    assert back.status_code == 409 and "nie czeka na to wprowadzenie" in back.text
    assert f'action="{url}/second/{entry.id}"' not in back.text


async def test_a_day_still_to_come_is_called_so(app):
    """Voting is open; a date typed a week ahead is a slip of the pen, not a ballot from
    outside the voting period: the message says which."""
    edition = await paper_edition(app)
    url = f"/staff/paper/{edition.slug}"
    ahead = (date.fromisoformat(today()) + timedelta(days=7)).isoformat()
    async with await staff_client(app, "admin") as admin:
        page = (await admin.get(url)).text
        polish = await admin.post(
            url, data=ballot(person(), ["C1"], page, sheet="D-9", collected_on=ahead)
        )
        await admin.get("/staff/lang/en")
        english = await admin.post(
            url, data=ballot(person(), ["C1"], page, sheet="D-9", collected_on=ahead)
        )
    assert polish.status_code == english.status_code == 400
    assert "jeszcze nie nadszedł" in polish.text
    assert "This day has not come yet" in english.text
    assert "while voting was open" not in english.text
    assert await entries(app, edition.id, "D-9") == []


async def test_a_collection_point_typed_again_in_other_letters_is_the_same_point(app):
    """'urząd gminy, pok. 12' beside 'Urząd Gminy, pok. 12' would split the point's
    subtotals in two (a point is renamed or removed on its own page, never doubled)."""
    edition = await paper_edition(app)
    url = f"/staff/paper/{edition.slug}/points"
    async with await staff_client(app, "admin") as admin:
        page = (await admin.get(url)).text
        again = await admin.post(
            url, data={"name": "URZĄD GMINY,  pok. 12", "csrf_token": csrf_of(page)}
        )
    assert again.status_code == 400 and "jest już na liście" in again.text
    async with app.state.ctx.db() as session:
        assert sorted(
            await paper_sheets.paper_collection_points(session=session, edition_id=edition.id)
        ) == sorted(POINTS)


async def test_the_collection_point_has_one_name_in_polish(app):
    """The list the clerk fills is 'Punkty zbierania': the form, the subtotals and the
    sheet pages call the point by the same name, not also 'punkt zbiórki'."""
    edition = await paper_edition(app)
    url = f"/staff/paper/{edition.slug}"
    async with await staff_client(app, "admin") as admin:
        pages = [(await admin.get(url + path)).text for path in ("", "/points", "/invalid")]
        pages.append((await admin.get("/staff")).text)
    for page in pages:
        assert "zbiórki" not in page
    assert "Punkt zbierania" in pages[0] and "Punkty zbierania" in pages[1]


async def test_a_sheet_saved_twice_is_counted_once_and_the_clerk_told_it_is_in(app):
    """A double click, or Back and Save again: the sheet counts once, and the refusal
    tells the clerk the sheet is recorded rather than only that 'nothing was saved'."""
    edition = await paper_edition(app)
    url = f"/staff/paper/{edition.slug}"
    async with await staff_client(app, "admin") as admin:
        page = (await admin.get(url)).text
        sheet = ballot(person(), ["C1"], page, sheet="K-1")
        assert (await admin.post(url, data=sheet)).status_code == 303
        polish = await admin.post(url, data=sheet)
        await admin.get("/staff/lang/en")
        english = await admin.post(url, data=sheet)
    assert polish.status_code == english.status_code == 400
    assert "nie wprowadzaj jej ponownie" in polish.text
    assert "If you have just saved this sheet, it is recorded" in english.text
    assert [e.status for e in await entries(app, edition.id, "K-1")] == ["counted"]


async def test_a_sheet_over_a_pools_limit_tells_the_clerk_what_to_do_with_it(app):
    """The paper really marks three projects where two are allowed: the clerk cannot save
    it as marked, and is told the two ways the edition's rules may settle it."""
    edition = await paper_edition(app)
    url = f"/staff/paper/{edition.slug}"
    async with await staff_client(app, "admin") as admin:
        page = (await admin.get(url)).text
        sheet = ballot(person(), ["C1", "C2", "C3"], page, sheet="O-1")
        polish = (await admin.post(url, data=sheet)).text
        await admin.get("/staff/lang/en")
        english = (await admin.post(url, data=sheet)).text
        fine = (await admin.post(url, data=ballot(person(), ["C1"], page, sheet=""))).text
    assert 'id="limit-help"' in polish and "nie zaznaczaj projektów z tej puli" in polish
    assert "leave that pool unmarked" in english
    assert f'href="{url}/invalid"' in english.split('id="limit-help"')[1].split("</p>")[0]
    assert 'id="limit-help"' not in fine  # another mistake: nothing to say about limits


async def test_a_refused_resolution_keeps_both_entries_in_view(app):
    """The clerk settling two entries that differ forgets a field: the page that says so
    still shows the two entries side by side, the paper's only comparison."""
    edition = await paper_edition(app)
    who = person(house_number="12")
    url = f"/staff/paper/{edition.slug}/mismatches"
    async with two_clerks(app, edition) as desk:
        entry = await desk.typed_once(who, "M-1")
        await desk.typed_again(entry, dict(who, house_number="13"))
        detail = (await desk.second.get(f"{url}/{entry.id}")).text
        forgot = ballot(dict(who, last_name=""), ["C1"], detail)
        refused = await desk.second.post(f"{url}/{entry.id}", data=forgot)
    assert refused.status_code == 400 and 'id="last_name-error"' in refused.text
    table = refused.text.split('id="mismatch"')[1].split("</table>")[0]
    assert ">12<" in table and ">13<" in table
    assert [e.status for e in await entries(app, edition.id, "M-1")] == ["mismatch", "mismatch"]


async def test_entries_that_differ_are_shown_as_a_warning(app):
    """The second typing disagrees: the sheet is not counted yet, and the outcome stands
    out as a conflict does, not in the calm colour of a counted sheet."""
    edition = await paper_edition(app)
    who = person()
    async with two_clerks(app, edition) as desk:
        entry = await desk.typed_once(who, "V-1")
        typed = await desk.typed_again(entry, who, ["C2"])
        shown = (await desk.second.get(typed.headers["location"])).text
    assert 'id="outcome" role="status" class="warning"' in shown


async def test_a_sheet_still_waiting_at_the_results_date_can_be_settled(app):
    """The results date passes with a sheet waiting for its second entry: no new sheet is
    typed then, but that one is still settled, or publication (which waits for it) would
    wait for ever."""
    edition = await paper_edition(app)
    who = person()
    url = f"/staff/paper/{edition.slug}"
    async with two_clerks(app, edition) as desk:
        entry = await desk.typed_once(who, "Z-1")
        page = (await desk.first.get(url)).text
        await _results_date_passed(app, edition.id)
        late = await desk.first.post(url, data=ballot(person(), ["C1"], page, sheet="Z-2"))
        assert late.status_code == 409
        assert (await desk.typed_again(entry, who)).status_code == 303
    await _publish(app, edition)
    assert [e.status for e in await entries(app, edition.id, "Z-1")] == ["counted", "matched"]
    assert await entries(app, edition.id, "Z-2") == []


async def _results_date_passed(app, edition_id: int) -> None:
    async with transaction(app.state.ctx.db) as session:
        now = utcnow()
        await session.execute(
            update(Edition)
            .where(Edition.id == edition_id)
            .values(
                voting_closes_at=now - timedelta(minutes=2), results_at=now - timedelta(minutes=1)
            )
        )
    app.state.ctx.caches.clear()  # the snapshots of the edition as it was
