"""Paper ballots: the same validation and UNIQUE keys as online ballots, conflicts shown
and recorded both ways, optional double entry, subtotals per collection point and day."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.factories.editions import edition_create
from tests.factories.staff import csrf_of, staff_client
from tests.factories.voting import e164, latest_code, person, post_form, reach_identity, vote
from urna.core.audit import AuditEvent
from urna.core.db import utcnow
from urna.core.i18n import LOCAL_ZONE
from urna.voting import paper_repository, paper_sheets
from urna.voting.models import Ballot, CollectionPoint, PaperEntry, Voter

pytestmark = pytest.mark.flow

PROJECT = re.compile(
    r'name="project" value="(\d+)" id="p-\d+"[^>]*>\s*<label for="p-\d+"><span class="number">'
    r"([^<]+)</span>"
)
CONFLICT_PL = "W tej edycji oddano już głos za tę osobę (przez internet lub na papierze)."
ALREADY_VOTED_PL = "Każdy mieszkaniec głosuje raz"


POINTS = ("Urząd Gminy, pok. 12", "Biblioteka", "Urząd")


async def paper_edition(app, **overrides):
    """An open edition whose office has listed its collection points."""
    edition = await edition_create(app, **overrides)
    async with app.state.ctx.db() as session:
        session.add_all(CollectionPoint(edition_id=edition.id, name=name) for name in POINTS)
        await session.commit()
    return edition


def today() -> str:
    return utcnow().astimezone(LOCAL_ZONE).date().isoformat()


def ballot(who: dict, numbers: list[str], page: str, **extra) -> dict:
    ids = {number: pid for pid, number in PROJECT.findall(page)}
    data = {k: v for k, v in who.items() if k != "phone"}  # no contact on this paper
    data.update(
        collection_point="Urząd Gminy, pok. 12",
        collected_on=today(),
        project=[ids[n] for n in numbers],
        csrf_token=csrf_of(page),
    )
    data.update(extra)
    return data


async def entries(app, edition_id: int, sheet: str) -> list[PaperEntry]:
    async with app.state.ctx.db() as session:
        result = await session.execute(
            select(PaperEntry)
            .where(PaperEntry.edition_id == edition_id, PaperEntry.sheet == sheet)
            .order_by(PaperEntry.id)
        )
        return list(result.scalars())


async def audit_actions(app, target: str) -> list[str]:
    async with app.state.ctx.db() as session:
        result = await session.execute(
            select(AuditEvent.action).where(AuditEvent.target == target).order_by(AuditEvent.id)
        )
        return list(result.scalars())


async def ballots(app, edition_id: int) -> list[Ballot]:
    async with app.state.ctx.db() as session:
        result = await session.execute(select(Ballot).where(Ballot.edition_id == edition_id))
        return list(result.scalars())


async def test_a_paper_ballot_is_counted_with_the_online_keys(app, client):
    edition = await paper_edition(app)
    who = person()
    async with await staff_client(app, "admin") as admin:
        page = (await admin.get(f"/staff/paper/{edition.slug}")).text
        response = await admin.post(
            f"/staff/paper/{edition.slug}", data=ballot(who, ["C1", "N1"], page, sheet="a-1")
        )
        assert response.status_code == 303, response.text
        shown = await admin.get(response.headers["location"])
    assert "Karta A-1:" in shown.text and "Policzona" in shown.text
    [entry] = await entries(app, edition.id, "A-1")
    assert entry.status == "counted" and entry.ballot_id and entry.kind == "first"
    assert who["last_name"].encode() not in entry.data_enc  # kept encrypted only
    [paper_ballot] = await ballots(app, edition.id)
    assert paper_ballot.channel == "paper" and paper_ballot.id == entry.ballot_id
    async with app.state.ctx.db() as session:
        voter = await session.get(Voter, paper_ballot.voter_id)
    assert voter.contact_key is None and len(voter.identity_key) == 64
    assert await audit_actions(app, f"paper:{edition.slug}/A-1") == ["paper.cast"]


async def test_online_then_paper_is_a_conflict_shown_to_the_operator_and_recorded(app, client):
    edition = await paper_edition(app)
    who = person()
    assert (await vote(client, app, edition.slug, who, ["C1"])).status_code == 303
    typed = dict(who, first_name=who["first_name"].upper() + " ", last_name=who["last_name"])
    async with await staff_client(app, "admin") as admin:
        page = (await admin.get(f"/staff/paper/{edition.slug}")).text
        response = await admin.post(
            f"/staff/paper/{edition.slug}", data=ballot(typed, ["C2"], page, sheet="B-7")
        )
        assert response.status_code == 303
        shown = (await admin.get(response.headers["location"])).text
    assert CONFLICT_PL in shown and "Konflikt: ten mieszkaniec już głosował" in shown
    [entry] = await entries(app, edition.id, "B-7")
    assert entry.status == "conflict" and entry.conflict == "identity" and entry.ballot_id is None
    assert [b.channel for b in await ballots(app, edition.id)] == ["online"]
    assert await audit_actions(app, f"paper:{edition.slug}/B-7") == ["paper.conflict"]


async def test_paper_then_online_is_refused_as_already_voted(app, client):
    edition = await paper_edition(app)
    who = person()
    async with await staff_client(app, "admin") as admin:
        page = (await admin.get(f"/staff/paper/{edition.slug}")).text
        response = await admin.post(
            f"/staff/paper/{edition.slug}", data=ballot(who, ["C3"], page, sheet="C-1")
        )
        assert response.status_code == 303
    # the same resident now tries online (name typed differently): refused at the code step
    page = await reach_identity(client, edition.slug)
    online = dict(who, first_name=who["first_name"].lower())
    await post_form(client, f"/e/{edition.slug}/vote/identity", online, page)
    page = (await client.get(f"/e/{edition.slug}/vote/code")).text
    code = await latest_code(app, e164(who["phone"]))
    response = await post_form(client, f"/e/{edition.slug}/vote/code", {"code": code}, page)
    assert response.status_code == 409 and ALREADY_VOTED_PL in response.text
    assert [b.channel for b in await ballots(app, edition.id)] == ["paper"]


async def test_paper_ballots_get_the_online_validation(app):
    edition = await paper_edition(app)
    async with await staff_client(app, "admin") as admin:
        page = (await admin.get(f"/staff/paper/{edition.slug}")).text
        bad = ballot(
            person(street="ul. Nieistniejąca", birth_date="2099-01-01"),
            ["C1", "C2", "C3"],  # the city pool allows two
            page,
            sheet="",
        )
        response = await admin.post(f"/staff/paper/{edition.slug}", data=bad)
    assert response.status_code == 400
    text = response.text
    assert 'id="street-error"' in text  # worded for the operator (test_paper_wording)
    assert "Data urodzenia nie może być z przyszłości." in text
    assert 'class="error" id="pool-' in text  # the city pool's limit (test_paper_wording)
    assert "To pole jest wymagane." in text  # the sheet number
    assert await ballots(app, edition.id) == []


async def test_double_entry_counts_when_a_second_operator_types_the_same(app):
    edition = await paper_edition(app)
    who = person()
    async with (
        await staff_client(app, "admin") as first,
        await staff_client(app, "admin") as second,
    ):
        page = (await first.get(f"/staff/paper/{edition.slug}")).text
        response = await first.post(
            f"/staff/paper/{edition.slug}",
            data=ballot(who, ["C1", "N2"], page, sheet="D-1", double_entry="1"),
        )
        assert response.status_code == 303
        [entry] = await entries(app, edition.id, "D-1")
        assert entry.status == "awaiting_second" and await ballots(app, edition.id) == []
        own = await first.post(
            f"/staff/paper/{edition.slug}/second/{entry.id}",
            data=ballot(who, ["C1", "N2"], page),
        )
        assert own.status_code == 409  # not by the same operator
        listed = (await second.get(f"/staff/paper/{edition.slug}/second")).text
        assert "D-1" in listed
        page = (await second.get(f"/staff/paper/{edition.slug}/second/{entry.id}")).text
        assert who["last_name"] not in page  # blind: the first entry is not shown
        retyped = dict(who, last_name=who["last_name"].upper())  # case does not matter
        response = await second.post(
            f"/staff/paper/{edition.slug}/second/{entry.id}",
            data=ballot(retyped, ["N2", "C1"], page),
        )
        assert response.status_code == 303
    first_entry, second_entry = await entries(app, edition.id, "D-1")
    assert first_entry.status == "counted" and second_entry.status == "matched"
    assert [b.channel for b in await ballots(app, edition.id)] == ["paper"]
    actions = await audit_actions(app, f"paper:{edition.slug}/D-1")
    assert actions == ["paper.first_entry", "paper.cast"]


async def test_double_entry_mismatches_are_listed_compared_and_settled(app):
    edition = await paper_edition(app)
    who = person(house_number="12")
    async with (
        await staff_client(app, "admin") as first,
        await staff_client(app, "admin") as second,
    ):
        page = (await first.get(f"/staff/paper/{edition.slug}")).text
        await first.post(
            f"/staff/paper/{edition.slug}",
            data=ballot(who, ["C1"], page, sheet="E-1", double_entry="1"),
        )
        [entry] = await entries(app, edition.id, "E-1")
        page = (await second.get(f"/staff/paper/{edition.slug}/second/{entry.id}")).text
        response = await second.post(
            f"/staff/paper/{edition.slug}/second/{entry.id}",
            data=ballot(dict(who, house_number="13"), ["C2"], page),
        )
        assert response.status_code == 303
        listed = (await second.get(f"/staff/paper/{edition.slug}/mismatches")).text
        assert (
            "E-1" in listed and "Numer domu i mieszkania, Projekty zaznaczone na karcie" in listed
        )
        assert who["last_name"] not in listed  # the list names fields, not values
        detail = (await second.get(f"/staff/paper/{edition.slug}/mismatches/{entry.id}")).text
        assert ">12<" in detail and ">13<" in detail and "C1" in detail and "C2" in detail
        assert '<td data-label="Pole">Numer domu i mieszkania</td>' in detail
        assert "house_number" not in detail.split('id="mismatch"')[1].split("</table>")[0]
        response = await second.post(
            f"/staff/paper/{edition.slug}/mismatches/{entry.id}",
            data=ballot(who, ["C1"], detail, reason="checked the paper: 12, C1"),
        )
        assert response.status_code == 303
    kinds = {e.kind: e.status for e in await entries(app, edition.id, "E-1")}
    assert kinds == {"first": "counted", "second": "mismatch", "resolution": "counted"}
    assert len(await ballots(app, edition.id)) == 1
    actions = await audit_actions(app, f"paper:{edition.slug}/E-1")
    assert actions == ["paper.first_entry", "paper.mismatch", "identity.unmask", "paper.resolve"]


async def test_subtotals_per_collection_point_and_day(app):
    edition = await paper_edition(app)
    async with await staff_client(app, "admin") as admin:
        page = (await admin.get(f"/staff/paper/{edition.slug}")).text
        for sheet, point in (("F-1", "Biblioteka"), ("F-2", "Biblioteka"), ("F-3", "Urząd")):
            response = await admin.post(
                f"/staff/paper/{edition.slug}",
                data=ballot(person(), ["C3"], page, sheet=sheet, collection_point=point),
            )
            assert response.status_code == 303
        page = (await admin.get(f"/staff/paper/{edition.slug}")).text
        assert 'id="subtotals"' in page and "Biblioteka" in page
    async with app.state.ctx.db() as session:
        totals = await paper_sheets.paper_subtotals(session=session, edition_id=edition.id)
    assert totals.by_point["Biblioteka"].counts["counted"] == 2
    assert totals.by_point["Urząd"].counts["counted"] == 1
    assert sum(cell.total for cell in totals.by_day.values()) == 3
    assert totals.overall.total == 3


async def test_a_sheet_typed_twice_at_once_is_refused_and_nothing_of_it_stays(app, monkeypatch):
    """Two operators type one sheet number at the same moment: both pass the check before
    either commits, and the UNIQUE key refuses the later one. Its entry is refused in its
    SAVEPOINT, before its ballot is written; the page says why, and the request ends well."""
    edition = await paper_edition(app)
    async with await staff_client(app, "admin") as admin:
        page = (await admin.get(f"/staff/paper/{edition.slug}")).text
        first = await admin.post(
            f"/staff/paper/{edition.slug}", data=ballot(person(), ["C1"], page, sheet="R-1")
        )
        assert first.status_code == 303

        async def not_seen_yet(*_args) -> bool:
            return False

        monkeypatch.setattr(paper_repository, "paper_sheet_exists", not_seen_yet)
        second = await admin.post(
            f"/staff/paper/{edition.slug}", data=ballot(person(), ["C2"], page, sheet="r-1")
        )
    assert second.status_code == 400
    assert "Karta o tym numerze została już wprowadzona." in second.text
    assert [e.status for e in await entries(app, edition.id, "R-1")] == ["counted"]
    assert len(await ballots(app, edition.id)) == 1
    assert await audit_actions(app, f"paper:{edition.slug}/R-1") == ["paper.cast"]


async def test_collection_points_come_from_the_offices_list(app):
    edition = await edition_create(app)
    async with await staff_client(app, "admin") as admin:
        page = (await admin.get(f"/staff/paper/{edition.slug}")).text
        assert f'href="/staff/paper/{edition.slug}/points"' in page  # the list is empty
        refused = await admin.post(
            f"/staff/paper/{edition.slug}",
            data=ballot(person(), ["C3"], page, sheet="P-1", collection_point="Gdziekolwiek"),
        )
        assert refused.status_code == 400 and 'href="#f-collection_point"' in refused.text
        points = (await admin.get(f"/staff/paper/{edition.slug}/points")).text
        for name in ("Biblioteka", "Biblioteka"):
            added = await admin.post(
                f"/staff/paper/{edition.slug}/points",
                data={"name": name, "csrf_token": csrf_of(points)},
            )
        assert added.status_code == 400  # already on the list
        page = (await admin.get(f"/staff/paper/{edition.slug}")).text
        assert "<option>Biblioteka</option>" in page
        other = await admin.post(
            f"/staff/paper/{edition.slug}",
            data=ballot(person(), ["C3"], page, sheet="P-1", collection_point="Gdziekolwiek"),
        )
        assert other.status_code == 400
        counted = await admin.post(
            f"/staff/paper/{edition.slug}",
            data=ballot(person(), ["C3"], page, sheet="P-1", collection_point="Biblioteka"),
        )
        assert counted.status_code == 303
    assert "paper.point_add" in await audit_actions(app, f"paper:{edition.slug}")


async def test_an_invalid_sheet_is_recorded_with_its_reason_and_counted_nowhere(app):
    edition = await paper_edition(app)
    url = f"/staff/paper/{edition.slug}/invalid"
    async with await staff_client(app, "admin") as admin:
        page = (await admin.get(url)).text
        form = {
            "sheet": "x-9",
            "collection_point": "Biblioteka",
            "collected_on": today(),
            "csrf_token": csrf_of(page),
        }
        no_reason = await admin.post(url, data=form)
        assert no_reason.status_code == 400 and 'href="#f-reason"' in no_reason.text
        recorded = await admin.post(url, data={**form, "reason": "Brak podpisu, nieczytelne"})
        assert recorded.status_code == 303
        outcome = (await admin.get(recorded.headers["location"])).text
        assert "Brak podpisu, nieczytelne" in outcome
        again = await admin.post(url, data={**form, "reason": "drugi raz"})
        assert again.status_code == 400  # the sheet number is taken
    [entry] = await entries(app, edition.id, "X-9")
    assert (entry.status, entry.invalid_reason, entry.data_enc) == (
        "invalid",
        "Brak podpisu, nieczytelne",
        None,
    )
    assert await ballots(app, edition.id) == []
    async with app.state.ctx.db() as session:
        totals = await paper_sheets.paper_subtotals(session=session, edition_id=edition.id)
    assert totals.by_point["Biblioteka"].counts["invalid"] == 1
    assert "paper.invalid" in await audit_actions(app, f"paper:{edition.slug}/X-9")
