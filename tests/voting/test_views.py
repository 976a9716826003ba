"""The resident's flow over HTTP forms (no JavaScript), on both backends."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from tests.factories.editions import edition_create
from tests.factories.voting import (
    csrf_of,
    e164,
    latest_code,
    person,
    post_form,
    project_ids,
    reach_choices,
    reach_identity,
    receipt_of,
    vote,
)
from urna.core.db import utcnow
from urna.editions.models import Edition
from urna.voting.models import Ballot, BallotChoice, Voter

pytestmark = pytest.mark.flow


async def count(app, model, edition_id):
    async with app.state.ctx.db() as session:
        column = model.edition_id if hasattr(model, "edition_id") else None
        return (
            await session.execute(
                select(func.count()).select_from(model).where(column == edition_id)
            )
        ).scalar_one()


async def test_cast_writes_voter_ballot_and_choices_with_clause_version(app, client):
    edition = await edition_create(app)
    who = person()
    response = await vote(client, app, edition.slug, who, ["C1", "C3", "N2"])
    assert response.status_code == 303
    async with app.state.ctx.db() as session:
        voter = (
            await session.execute(select(Voter).where(Voter.edition_id == edition.id))
        ).scalar_one()
        ballot = (
            await session.execute(select(Ballot).where(Ballot.voter_id == voter.id))
        ).scalar_one()
        choices = (
            (await session.execute(select(BallotChoice).where(BallotChoice.ballot_id == ballot.id)))
            .scalars()
            .all()
        )
    assert len(choices) == 3
    assert ballot.status == "counted" and ballot.channel == "online"
    assert voter.clause_id is not None and ballot.age_band and ballot.area_id is not None
    # identity is stored encrypted only: no clear name, phone or street anywhere in the row
    blob = voter.identity_enc
    assert who["last_name"].encode() not in blob and e164(who["phone"]).encode() not in blob
    assert len(voter.identity_key) == 64 and len(voter.contact_key) == 64
    assert ballot.session_hash and ballot.request_id and ballot.ip == "127.0.0.1"


async def test_same_person_in_a_new_session_is_told_already_voted(app, client, db):
    from httpx import ASGITransport, AsyncClient

    edition = await edition_create(app)
    who = person()
    assert (await vote(client, app, edition.slug, who, ["C1"])).status_code == 303
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://testserver") as other:
        # Same person, typed differently, different phone: caught at the code step.
        again = dict(who, first_name=who["first_name"].upper(), phone=person()["phone"])
        page = await reach_identity(other, edition.slug)
        response = await post_form(other, f"/e/{edition.slug}/vote/identity", again, page)
        page = (await other.get(f"/e/{edition.slug}/vote/code")).text
        code = await latest_code(app, e164(again["phone"]))
        response = await post_form(other, f"/e/{edition.slug}/vote/code", {"code": code}, page)
    assert response.status_code == 409
    assert "Każdy mieszkaniec głosuje raz" in response.text
    assert await count(app, Ballot, edition.id) == 1


async def test_resubmitted_cast_returns_the_same_receipt_and_no_second_ballot(app, client):
    edition = await edition_create(app)
    page = await reach_choices(client, app, edition.slug, person())
    ids = project_ids(page)
    await post_form(client, f"/e/{edition.slug}/vote/choices", {"project": [ids["C2"]]}, page)
    review = (await client.get(f"/e/{edition.slug}/vote/review")).text
    first = await post_form(client, f"/e/{edition.slug}/vote/cast", {}, review)
    receipt = await receipt_of(client, edition.slug)
    second = await post_form(client, f"/e/{edition.slug}/vote/cast", {}, review)  # back + resubmit
    assert first.status_code == second.status_code == 303
    assert second.headers["location"].startswith(f"/e/{edition.slug}/vote/receipt?receipt=")
    assert await receipt_of(client, edition.slug) == receipt
    assert await count(app, Ballot, edition.id) == 1


async def test_nothing_is_stored_outside_the_voting_window(app, client):
    edition = await edition_create(app)
    page = await reach_choices(client, app, edition.slug, person())
    ids = project_ids(page)
    await post_form(client, f"/e/{edition.slug}/vote/choices", {"project": [ids["C1"]]}, page)
    review = (await client.get(f"/e/{edition.slug}/vote/review")).text
    async with app.state.ctx.db() as session:
        await session.execute(
            update(Edition)
            .where(Edition.id == edition.id)
            .values(voting_closes_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()
    response = await post_form(client, f"/e/{edition.slug}/vote/cast", {}, review)
    assert response.status_code == 409
    assert "Głosowanie w tej edycji nie trwa" in response.text
    assert await count(app, Voter, edition.id) == 0
    assert (await client.get(f"/e/{edition.slug}/vote")).status_code == 409


async def test_upcoming_edition_does_not_open_the_vote(app, client):
    now = utcnow()
    edition = await edition_create(app, voting_opens_at=(now + timedelta(days=1)).isoformat())
    response = await client.get(f"/e/{edition.slug}/vote")
    assert response.status_code == 409
    assert (
        "Głosuj"
        not in (await client.get(f"/e/{edition.slug}")).text.split("<main")[1].split("Pule")[0]
    )


async def test_bad_input_is_explained_next_to_the_field_and_typed_values_kept(app, client):
    edition = await edition_create(
        app, required_fields=["first_name", "last_name", "address", "birth_date", "phone", "pesel"]
    )
    page = await reach_identity(client, edition.slug)
    who = person(phone="123", pesel="12345678901", first_name="Grażyna")
    response = await post_form(client, f"/e/{edition.slug}/vote/identity", who, page)
    assert response.status_code == 400
    assert "Ten numer telefonu jest nieprawidłowy" in response.text
    assert "Ten numer PESEL jest nieprawidłowy" in response.text
    assert 'value="Grażyna"' in response.text
    assert "12345678901" not in response.text  # a PESEL is never echoed back
    assert 'aria-invalid="true"' in response.text
    assert await count(app, Voter, edition.id) == 0


async def test_clause_must_be_acknowledged(app, client):
    edition = await edition_create(app)
    page = (await client.get(f"/e/{edition.slug}/vote")).text
    assert "Klauzula testowa" in page and "Burmistrz Testowa" in page
    response = await post_form(client, f"/e/{edition.slug}/vote", {}, page)
    assert response.status_code == 400
    assert "Potwierdź zapoznanie się z klauzulą informacyjną." in response.text
    assert 'href="#f-acknowledge"' in response.text  # the error summary links to the box
    # skipping the clause is not possible
    skipped = await client.get(f"/e/{edition.slug}/vote/identity")
    assert skipped.status_code == 409


async def test_one_time_code_counts_attempts_and_is_single_use(app, client):
    edition = await edition_create(app)
    who = person()
    page = await reach_identity(client, edition.slug)
    await post_form(client, f"/e/{edition.slug}/vote/identity", who, page)
    page = (await client.get(f"/e/{edition.slug}/vote/code")).text
    code = await latest_code(app, e164(who["phone"]))
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        response = await post_form(client, f"/e/{edition.slug}/vote/code", {"code": wrong}, page)
        assert f"Pozostałe próby: {left}" in response.text
    response = await post_form(client, f"/e/{edition.slug}/vote/code", {"code": wrong}, page)
    assert "Zbyt wiele błędnych kodów" in response.text
    # even the right code is refused now: a new one must be sent
    response = await post_form(client, f"/e/{edition.slug}/vote/code", {"code": code}, page)
    assert response.status_code == 400 and "Wyślij nowy" in response.text
    resend = await post_form(client, f"/e/{edition.slug}/vote/code/resend", {}, page)
    assert resend.status_code == 303
    page = (await client.get(resend.headers["location"])).text
    assert "Wysłaliśmy nowy kod" in page
    fresh = await latest_code(app, e164(who["phone"]))
    response = await post_form(client, f"/e/{edition.slug}/vote/code", {"code": fresh}, page)
    assert response.status_code == 303
    # single use: after confirmation the code step is over
    again = await post_form(client, f"/e/{edition.slug}/vote/code", {"code": fresh}, page)
    assert again.status_code == 403  # the session id and CSRF token were rotated


async def test_resending_codes_is_throttled_per_contact(app, client):
    edition = await edition_create(app)
    who = person()
    page = await reach_identity(client, edition.slug)
    await post_form(client, f"/e/{edition.slug}/vote/identity", who, page)  # 1st code
    page = (await client.get(f"/e/{edition.slug}/vote/code")).text
    for _ in range(2):  # 2nd and 3rd
        assert (
            await post_form(client, f"/e/{edition.slug}/vote/code/resend", {}, page)
        ).status_code == 303
    response = await post_form(client, f"/e/{edition.slug}/vote/code/resend", {}, page)
    assert response.status_code == 429
    assert "Odczekaj 10 minut" in response.text


async def test_choices_respect_pool_limits_and_the_residents_area(app, client):
    edition = await edition_create(app)
    page = await reach_choices(client, app, edition.slug, person(street="ul. Lipowa"))
    ids = project_ids(page)
    assert "N1" in ids and "S1" not in ids  # district pools limited to the resident's area
    response = await post_form(
        client,
        f"/e/{edition.slug}/vote/choices",
        {"project": [ids["C1"], ids["C2"], ids["C3"]]},
        page,
    )
    assert response.status_code == 400
    assert "Możesz wybrać najwyżej 2 projekty." in response.text
    response = await post_form(client, f"/e/{edition.slug}/vote/choices", {}, page)
    assert "Wybierz co najmniej jeden projekt" in response.text
    async with app.state.ctx.db() as session:
        from urna.editions.models import Project

        other = (
            await session.execute(
                select(Project.id).where(Project.edition_id == edition.id, Project.number == "S1")
            )
        ).scalar_one()
    response = await post_form(
        client, f"/e/{edition.slug}/vote/choices", {"project": [str(other)]}, page
    )
    assert response.status_code == 403


async def test_live_summary_is_a_fragment_with_counts_and_money(app, client):
    edition = await edition_create(app)
    page = await reach_choices(client, app, edition.slug, person())
    ids = project_ids(page)
    response = await client.post(
        f"/e/{edition.slug}/vote/choices?live=1",
        data={"project": [ids["C1"], ids["N1"]]},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf_of(page)},
    )
    assert response.status_code == 200
    assert "<html" not in response.text and 'id="summary"' in response.text
    assert "wybrano 1 z 2" in response.text
    assert "60\u00a0000\u00a0zł" in response.text
    assert "Vary" in response.headers and "HX-Request" in response.headers["Vary"]


async def test_minor_votes_through_a_guardian(app, client):
    edition = await edition_create(app)
    who = person(birth_date=(utcnow().date().replace(year=utcnow().year - 9)).isoformat())
    page = await reach_identity(client, edition.slug)
    response = await post_form(client, f"/e/{edition.slug}/vote/identity", who, page)
    assert "Podaj imię i nazwisko rodzica" in response.text
    who.update(guardian_name="Ewa Rodzic", guardian_declaration="on_behalf")
    response = await vote(client, app, edition.slug, who, ["C3"])
    assert response.status_code == 303
    async with app.state.ctx.db() as session:
        voter = (
            await session.execute(select(Voter).where(Voter.edition_id == edition.id))
        ).scalar_one()
        ballot = (
            await session.execute(select(Ballot).where(Ballot.voter_id == voter.id))
        ).scalar_one()
    assert voter.guardian_role == "on_behalf" and ballot.age_band == "0-12"


async def test_receipt_check_tells_status_never_choices(app, client):
    edition = await edition_create(app)
    await vote(client, app, edition.slug, person(), ["C2"])
    receipt = await receipt_of(client, edition.slug)
    page = (await client.get("/receipt")).text
    response = await post_form(
        client, "/receipt", {"code": receipt.lower().replace("-", " ")}, page
    )
    assert response.status_code == 303 and response.headers["location"] == "/receipt"
    shown = (await client.get("/receipt")).text
    assert "Twój głos jest liczony." in shown
    # the page's random tokens could contain "C2" by chance: look at the visible text only
    visible = re.sub(r'(value|hx-headers)=\'?"[^"]*"', "", shown)
    assert "Ścieżka rowerowa" not in visible and ">C2<" not in visible and " C2 " not in visible
    async with app.state.ctx.db() as session:
        await session.execute(
            update(Ballot).where(Ballot.edition_id == edition.id).values(status="under_review")
        )
        await session.commit()
    response = await post_form(client, "/receipt", {"code": receipt}, page)
    assert "sprawdza zespół weryfikacyjny" in (await client.get("/receipt")).text
    response = await post_form(client, "/receipt", {"code": "ABC"}, page)
    assert response.status_code == 400 and "ma 12 znaków" in response.text
    response = await post_form(client, "/receipt", {"code": "0000-0000-0000"}, page)
    assert "Nie ma głosu z takim kodem" in response.text


async def test_english_switch(app, client):
    edition = await edition_create(app)
    assert "Budżet obywatelski" in (await client.get("/")).text
    response = await client.get(f"/lang/en?next=/e/{edition.slug}")
    assert response.status_code == 303 and response.headers["location"] == f"/e/{edition.slug}"
    page = (await client.get(f"/e/{edition.slug}")).text
    assert "Participatory budget" in page and 'lang="en"' in page
    assert (await client.get("/lang/en?next=//evil.example")).headers["location"] == "/"


async def test_catalogue_filters_search_and_fragments(app, client):
    edition = await edition_create(app)
    full = await client.get(f"/e/{edition.slug}/projects")
    assert full.status_code == 200 and "<html" in full.text and "6 projektów" in full.text
    fragment = await client.get(
        f"/e/{edition.slug}/projects?pool=N", headers={"HX-Request": "true"}
    )
    assert "<html" not in fragment.text and 'id="results"' in fragment.text
    assert "Ławki na Lipowej" in fragment.text and "Park kieszonkowy" not in fragment.text
    found = await client.get(f"/e/{edition.slug}/projects?q=rowerowa")
    assert "Ścieżka rowerowa" in found.text and "Park kieszonkowy" not in found.text
    hostile = await client.get(f"/e/{edition.slug}/projects?q=%25_%3Cscript%3E&pool=%3Cb%3E")
    assert hostile.status_code == 200 and "<script>" not in hostile.text
    project = await client.get(f"/e/{edition.slug}/projects/C1")
    assert "Park kieszonkowy" in project.text and "60\u00a0000\u00a0zł" in project.text


async def test_errors_are_pages_in_polish_never_500(app, client):
    response = await client.get("/no-such-page")
    assert response.status_code == 404 and "Nie znaleziono strony" in response.text
    response = await client.get("/e/does-not-exist")
    assert response.status_code == 404
    response = await client.get("/privacy?version=abc")
    assert response.status_code == 400 and "nieprawidłową wartość" in response.text
    response = await client.delete("/")
    assert response.status_code in (403, 405)


async def test_the_cast_stores_the_choices_the_review_page_showed(app, client):
    """Choices changed in another tab after the review are not cast: the resident sees
    them again, reviews, and the ballot holds what that review showed."""
    from tests.factories.voting import reviewed_of

    edition = await edition_create(app)
    slug = edition.slug
    page = await reach_choices(client, app, slug, person())
    ids = project_ids(page)
    await post_form(client, f"/e/{slug}/vote/choices", {"project": [ids["C1"]]}, page)
    review = (await client.get(f"/e/{slug}/vote/review")).text
    # another tab: the choices page, C1 swapped for C2 and C3
    await post_form(client, f"/e/{slug}/vote/choices", {"project": [ids["C2"], ids["C3"]]}, page)
    stale = await post_form(client, f"/e/{slug}/vote/cast", reviewed_of(review), review)
    assert stale.status_code == 400 and "zmieniły się po ich sprawdzeniu" in stale.text
    assert await count(app, Ballot, edition.id) == 0
    review = (await client.get(f"/e/{slug}/vote/review")).text
    cast = await post_form(client, f"/e/{slug}/vote/cast", reviewed_of(review), review)
    assert cast.status_code == 303
    async with app.state.ctx.db() as session:
        stored = await session.execute(
            select(BallotChoice.project_id)
            .join(Ballot, Ballot.id == BallotChoice.ballot_id)
            .where(Ballot.edition_id == edition.id)
        )
    assert sorted(str(pid) for pid in stored.scalars()) == sorted([ids["C2"], ids["C3"]])


async def test_a_step_reached_without_its_session_leads_back_to_the_start(app, client):
    """An expired session or a bookmarked step: the page says so and links to the start."""
    edition = await edition_create(app)
    for step in ("identity", "code", "choices", "review"):
        page = await client.get(f"/e/{edition.slug}/vote/{step}")
        assert page.status_code == 409 and "sesja mogła wygasnąć" in page.text
        assert f'href="/e/{edition.slug}/vote">Zacznij głosowanie od nowa' in page.text


async def test_the_residents_data_page_is_linked_from_the_receipt_and_every_footer(app, client):
    edition = await edition_create(app)
    assert 'href="/my-data"' in (await client.get("/")).text
    cast = await vote(client, app, edition.slug, person(), ["C1"])
    receipt = await client.get(cast.headers["location"])
    assert receipt.status_code == 200 and "Twoje dane i Twoje prawa</a>." in receipt.text


async def test_the_language_links_come_back_to_the_page_with_its_filters(app, client):
    edition = await edition_create(app)
    page = await client.get(f"/e/{edition.slug}/projects", params={"pool": "N", "q": "park"})
    assert f"/lang/en?next=/e/{edition.slug}/projects%3Fpool%3DN%26q%3Dpark" in page.text
    back = await client.get("/lang/en", params={"next": f"/e/{edition.slug}/projects?pool=N"})
    assert back.headers["location"] == f"/e/{edition.slug}/projects?pool=N"
