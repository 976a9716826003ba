"""Rectification (art. 16 GDPR): the office corrects the identity a resident's request asks
for, checked as the vote checks it, re-sealed, audited without values, with keys computed
again so one ballot per person holds for the corrected person."""

import json

import pytest
from sqlalchemy import select

from tests.factories.editions import edition_create
from tests.factories.privacy import held_open, request_file, voter_named
from tests.factories.staff import asgi_client, csrf_of, staff_client
from tests.factories.voting import person, receipt_of, vote
from urna.core.audit import AuditEvent
from urna.voting.identity import identity_key_material
from urna.voting.models import Ballot

pytestmark = pytest.mark.flow


async def test_the_office_corrects_what_the_resident_asked_and_the_resident_sees_it(
    app, client, db
):
    edition = await edition_create(app)
    who = person(first_name="Bożena", last_name="Nowakowsky", street="ul. Lipowa")
    assert (await vote(client, app, edition.slug, who, ["C1", "N1"])).status_code == 303
    receipt = await receipt_of(client, edition.slug)
    request_id = await request_file(
        client, app, receipt, who["phone"], "rectification", "Nazwisko: Nowakowska, ul. Łąkowa"
    )
    before = await voter_named(app, edition.id, "Nowakowsky")

    async with await staff_client(app, "admin") as staff:
        page = await staff.get(f"/staff/privacy/requests/{request_id}")
        assert "Nowakowsky" not in page.text and "/correct" not in page.text  # on purpose only
        page = await held_open(staff, request_id)
        assert 'name="last_name" type="text" value="Nowakowsky"' in page.text  # prefilled
        assert f'value="{who["house_number"]}"' in page.text
        form = {
            "first_name": "Bożena",
            "last_name": "Nowakowska",
            "street": "ul. Nieznana",
            "house_number": "12 b c",
            "birth_date": "31.02.1990",
            "phone": "22 123 45 67",  # a Warsaw landline: the code goes by SMS
            "csrf_token": csrf_of(page.text),
        }
        refused = await staff.post(f"/staff/privacy/requests/{request_id}/correct", data=form)
        assert refused.status_code == 400
        for field, said in (
            ("street", "nie ma w rejestrze"),
            ("house_number", "Podaj numer domu"),
            ("birth_date", "DD.MM.RRRR"),
            ("phone", "nie jest numer telefonu komórkowego"),
        ):
            beside = refused.text.split(f'id="{field}-error">', 1)
            assert len(beside) == 2 and said in beside[1].split("</p>")[0], field
        assert 'value="Nowakowska"' in refused.text  # the typed values, shown again
        form.update(street="ul. Słoneczna", house_number=who["house_number"], phone=who["phone"])
        form["birth_date"] = who["birth_date"]
        moved = await staff.post(f"/staff/privacy/requests/{request_id}/correct", data=form)
        assert moved.status_code == 409 and "innym obszarze" in moved.text  # N1 was chosen
        form["street"] = "ulica łąkowa"  # the same area, as the register spells it
        saved = await staff.post(f"/staff/privacy/requests/{request_id}/correct", data=form)
        assert saved.status_code == 303, saved.text

    shown = (await client.get("/my-data")).text
    assert "Nowakowska" in shown and "ul. Łąkowa" in shown and "Nowakowsky" not in shown
    data = (await client.get("/my-data.json")).json()
    assert data["identity"]["last_name"] == "Nowakowska"

    ctx = app.state.ctx
    after = await voter_named(app, edition.id, "Nowakowska")
    assert after.id == before.id and after.identity_enc != before.identity_enc
    corrected = {**who, "last_name": "Nowakowska", "street": "ul. Łąkowa"}
    assert after.identity_key == ctx.crypto.keyed_hash(
        scope=f"edition:{edition.id}", value=identity_key_material(corrected)
    )
    assert after.lookup_key != before.lookup_key and after.address_key != before.address_key
    assert after.contact_key == before.contact_key and after.birth_order == before.birth_order
    ballot = (await db.execute(select(Ballot).where(Ballot.voter_id == after.id))).scalar_one()
    assert ballot.status == "counted"  # the ballot as cast

    events = (
        (
            await db.execute(
                select(AuditEvent).where(AuditEvent.target == f"data_request:{request_id}")
            )
        )
        .scalars()
        .all()
    )
    [event] = [e for e in events if e.action == "privacy.identity_correct"]
    assert event.details == {"fields": ["last_name", "street"]}
    recorded = json.dumps([[e.action, e.reason, e.details] for e in events], ensure_ascii=False)
    assert "Nowakowsk" not in recorded and "Łąkowa" not in recorded  # names, never values


async def test_a_correction_into_another_voter_of_the_edition_is_refused(app, client, db):
    edition = await edition_create(app)
    other = person(street="ul. Lipowa")
    async with asgi_client(app) as second:
        assert (await vote(second, app, edition.slug, other, ["C1"])).status_code == 303
    who = person(last_name="Pomylona", street="ul. Lipowa")
    assert (await vote(client, app, edition.slug, who, ["C2"])).status_code == 303
    receipt = await receipt_of(client, edition.slug)
    request_id = await request_file(client, app, receipt, who["phone"], "rectification", "To ja")
    before = await voter_named(app, edition.id, "Pomylona")

    async with await staff_client(app, "admin") as staff:
        page = await held_open(staff, request_id)
        taken = {  # the other voter's person, this voter's phone
            **{name: other[name] for name in ("first_name", "last_name", "street")},
            "house_number": other["house_number"],
            "birth_date": other["birth_date"],
            "phone": who["phone"],
            "csrf_token": csrf_of(page.text),
        }
        refused = await staff.post(f"/staff/privacy/requests/{request_id}/correct", data=taken)
        assert refused.status_code == 409
        assert "jedna osoba miałaby dwa głosy" in refused.text
        assert "zespół weryfikacyjny" in refused.text
        await staff.get("/staff/lang/en")
        refused = await staff.post(f"/staff/privacy/requests/{request_id}/correct", data=taken)
        assert refused.status_code == 409 and "give one person two ballots" in refused.text

    after = await voter_named(app, edition.id, "Pomylona")  # nothing changed
    assert (after.identity_enc, after.identity_key) == (before.identity_enc, before.identity_key)
    corrections = await db.execute(
        select(AuditEvent.id).where(
            AuditEvent.action == "privacy.identity_correct",
            AuditEvent.target == f"data_request:{request_id}",
        )
    )
    assert corrections.first() is None


async def test_only_a_rectification_of_a_held_identity_is_corrected(app, client):
    edition = await edition_create(app)
    who = person(last_name="Kasowana")
    assert (await vote(client, app, edition.slug, who, ["C1"])).status_code == 303
    receipt = await receipt_of(client, edition.slug)
    erasure_id = await request_file(client, app, receipt, who["phone"], "erasure", "Usuńcie")
    page = (await client.get("/my-data")).text
    await client.post(
        "/my-data/request",
        data={"kind": "rectification", "text": "Popraw", "csrf_token": csrf_of(page)},
    )
    requests = (await client.get("/my-data.json")).json()["requests"]
    [rectification_id] = [r["id"] for r in requests if r["kind"] == "rectification"]
    form = {**who, "last_name": "Poprawiona"}

    async with await staff_client(app, "admin") as staff:
        page = await held_open(staff, erasure_id)
        assert "/correct" not in page.text  # no form for an erasure
        form["csrf_token"] = csrf_of(page.text)
        refused = await staff.post(f"/staff/privacy/requests/{erasure_id}/correct", data=form)
        assert refused.status_code == 409 and "Niczego nie zmieniono" in refused.text
        erased = await staff.post(
            f"/staff/privacy/requests/{erasure_id}/erase", data={"csrf_token": form["csrf_token"]}
        )
        assert erased.status_code == 303
        page = await held_open(staff, rectification_id)
        assert "/correct" not in page.text  # nothing left to correct
        gone = await staff.post(f"/staff/privacy/requests/{rectification_id}/correct", data=form)
        assert gone.status_code == 409 and "nie jest już przechowywana" in gone.text
    assert (await client.get("/my-data.json")).json()["identity"] == {}


@pytest.mark.parametrize("role", ["verifier", "netadmin"])
async def test_a_verifier_or_network_administrator_may_not_correct(app, client, role):
    edition = await edition_create(app)
    who = person(last_name="Chroniona")
    assert (await vote(client, app, edition.slug, who, ["C1"])).status_code == 303
    receipt = await receipt_of(client, edition.slug)
    request_id = await request_file(client, app, receipt, who["phone"], "rectification", "Popraw")
    async with await staff_client(app, role) as staff:
        page = await staff.get("/staff")
        response = await staff.post(
            f"/staff/privacy/requests/{request_id}/correct",
            data={**who, "last_name": "Zmieniona", "csrf_token": csrf_of(page.text)},
        )
        assert response.status_code == 403
    assert (await voter_named(app, edition.id, "Chroniona")).identity_enc is not None
