"""Rectification (art. 16 GDPR) of the fields with rules of their own: a PESEL typed again
(checked as the vote checks it, its key computed again), a minor's guardian (kept with
the identity as the vote keeps it, the role as declared at the vote) and a changed
contact, which must find a free slot of the edition's ballots per contact."""

from datetime import date

import pytest
from sqlalchemy import select

from tests.factories.editions import edition_create
from tests.factories.privacy import held_open, identity_of, request_file, voter_named
from tests.factories.staff import asgi_client, csrf_of, staff_client
from tests.factories.voting import e164, person, pesel_for, receipt_of, vote
from urna.core.audit import AuditEvent
from urna.core.db import utcnow
from urna.core.text import text_fold

pytestmark = pytest.mark.flow

WITH_PESEL = ["first_name", "last_name", "address", "birth_date", "pesel", "phone"]
PESEL_ONLY = ["first_name", "last_name", "address", "pesel", "phone"]  # no date of birth
TYPED_AT_THE_VOTE = ("pesel", "guardian_declaration")  # not on the correction form


def _form(who: dict[str, str], page: str, **changes: str) -> dict[str, str]:
    """The correction form as the office posts it: the voter's values with ``changes``
    (the PESEL field empty unless typed)."""
    kept = {name: value for name, value in who.items() if name not in TYPED_AT_THE_VOTE}
    return {**kept, **changes, "csrf_token": csrf_of(page)}


def _beside(page: str, field: str) -> str:
    """The message shown beside ``field``."""
    parts = page.split(f'id="{field}-error">', 1)
    assert len(parts) == 2, f"no message beside {field}"
    return parts[1].split("</p>")[0]


async def _corrections(db, request_id: int) -> list[list[str]]:
    """The fields each audited correction of the request changed."""
    events = await db.execute(
        select(AuditEvent.details)
        .where(
            AuditEvent.action == "privacy.identity_correct",
            AuditEvent.target == f"data_request:{request_id}",
        )
        .order_by(AuditEvent.id)
    )
    return [details["fields"] for details in events.scalars()]


def _key(app, edition_id: int, value: str) -> str:
    return app.state.ctx.crypto.keyed_hash(scope=f"edition:{edition_id}", value=value)


def _years_ago(years: int) -> str:
    today = utcnow().date()
    return today.replace(year=today.year - years, day=min(today.day, 28)).isoformat()


async def test_a_typed_pesel_is_checked_as_the_vote_checks_it_and_keys_the_voter_again(
    app, client, db
):
    edition = await edition_create(app, required_fields=WITH_PESEL)
    taken = pesel_for(date(1970, 5, 5))
    async with asgi_client(app) as other:
        other_who = person(birth_date="1970-05-05", pesel=taken)
        assert (await vote(other, app, edition.slug, other_who, ["C1"])).status_code == 303
    who = person(last_name="Peselowa", birth_date="1985-03-14", pesel=pesel_for(date(1985, 3, 14)))
    assert (await vote(client, app, edition.slug, who, ["C1"])).status_code == 303
    receipt = await receipt_of(client, edition.slug)
    request_id = await request_file(client, app, receipt, who["phone"], "rectification", "PESEL")
    before = await voter_named(app, edition.id, "Peselowa")
    corrected = pesel_for(date(1985, 3, 15))
    url = f"/staff/privacy/requests/{request_id}/correct"

    async with await staff_client(app, "admin") as staff:
        page = (await held_open(staff, request_id)).text
        assert 'id="f-pesel"' in page and who["pesel"] not in page  # held only as a key
        wrong_digit = corrected[:-1] + str((int(corrected[-1]) + 1) % 10)
        refused = await staff.post(url, data=_form(who, page, pesel=wrong_digit))
        assert refused.status_code == 400
        assert "Ten numer PESEL jest nieprawidłowy" in _beside(refused.text, "pesel")
        refused = await staff.post(url, data=_form(who, page, pesel=corrected))
        assert refused.status_code == 400  # 15 March in the PESEL, 14 March typed
        assert "nie zgadza się z numerem PESEL" in _beside(refused.text, "birth_date")
        refused = await staff.post(url, data=_form(who, page, birth_date="1985-03-15"))
        assert refused.status_code == 400  # the held PESEL cannot be checked against it
        assert "Wpisz ponownie numer PESEL" in _beside(refused.text, "pesel")
        refused = await staff.post(url, data=_form(who, page, birth_date="1970-05-05", pesel=taken))
        assert refused.status_code == 409 and "jedna osoba miałaby dwa głosy" in refused.text
        await staff.get("/staff/lang/en")
        refused = await staff.post(url, data=_form(who, page, pesel=wrong_digit))
        assert refused.status_code == 400
        assert "This PESEL number is not valid" in _beside(refused.text, "pesel")
        unchanged = await voter_named(app, edition.id, "Peselowa")
        assert unchanged.model_dump() == before.model_dump()
        assert await _corrections(db, request_id) == []
        typed = f"{corrected[:6]}-{corrected[6:]}"  # as on a document: the same number
        form = _form(who, page, birth_date="15.03.1985", pesel=typed)
        saved = await staff.post(url, data=form)
        assert saved.status_code == 303, saved.text

    after = await voter_named(app, edition.id, "Peselowa")
    assert after.pesel_key == _key(app, edition.id, "pesel:" + corrected) != before.pesel_key
    assert after.birth_order == before.birth_order + 1  # the day after, shifted alike
    held = identity_of(app, after)
    assert held["birth_date"] == "1985-03-15" and corrected not in str(held)
    assert await _corrections(db, request_id) == [["birth_date", "pesel"]]


async def test_a_minor_s_guardian_is_corrected_and_kept_with_the_declared_role(app, client, db):
    """In an edition without a date of birth the age is the PESEL's: corrected without
    typing it again, the guardian's name is kept (corrected) and the role stays."""
    edition = await edition_create(app, required_fields=PESEL_ONLY)
    born = date.fromisoformat(_years_ago(9))
    who = person(last_name="Dziecko", pesel=pesel_for(born))
    who.update(guardian_name="Ewa Rodzic", guardian_declaration="on_behalf")
    del who["birth_date"]
    assert (await vote(client, app, edition.slug, who, ["C1"])).status_code == 303
    receipt = await receipt_of(client, edition.slug)
    request_id = await request_file(
        client, app, receipt, who["phone"], "rectification", "Opiekunka to Ewa Rodzicka"
    )
    before = await voter_named(app, edition.id, "Dziecko")
    assert before.guardian_role == "on_behalf" and before.guardian_key is not None

    async with await staff_client(app, "admin") as staff:
        page = (await held_open(staff, request_id)).text
        assert 'name="guardian_name" type="text" value="Ewa Rodzic"' in page
        form = _form(who, page, guardian_name="Ewa Rodzicka")
        saved = await staff.post(f"/staff/privacy/requests/{request_id}/correct", data=form)
        assert saved.status_code == 303, saved.text

    after = await voter_named(app, edition.id, "Dziecko")
    assert identity_of(app, after)["guardian_name"] == "Ewa Rodzicka"
    assert after.guardian_role == "on_behalf"
    assert after.guardian_key == _key(app, edition.id, "guardian:" + text_fold("Ewa Rodzicka"))
    assert (after.pesel_key, after.birth_order) == (before.pesel_key, before.birth_order)
    assert await _corrections(db, request_id) == [["guardian_name"]]


async def test_a_minor_s_declared_role_is_not_changed_by_a_correction(app, client, db):
    """A teenager voted with the guardian's consent; a date of birth that makes them a
    child, on whose behalf the guardian would have had to vote, is refused; one that
    makes them an adult drops the guardian, whom only a minor's ballot holds."""
    edition = await edition_create(app)
    who = person(last_name="Nastolatek", birth_date=_years_ago(15))
    who.update(guardian_name="Jan Opiekun", guardian_declaration="consent")
    assert (await vote(client, app, edition.slug, who, ["C1"])).status_code == 303
    receipt = await receipt_of(client, edition.slug)
    request_id = await request_file(client, app, receipt, who["phone"], "rectification", "Data")
    url = f"/staff/privacy/requests/{request_id}/correct"

    async with await staff_client(app, "admin") as staff:
        page = (await held_open(staff, request_id)).text
        saved = await staff.post(url, data=_form(who, page, guardian_name="Jan Opiekuński"))
        assert saved.status_code == 303, saved.text
        child = _form(who, page, guardian_name="Jan Opiekuński", birth_date=_years_ago(10))
        refused = await staff.post(url, data=child)
        assert refused.status_code == 400
        assert "głosuje w imieniu dziecka" in _beside(refused.text, "guardian_declaration")
        middle = await voter_named(app, edition.id, "Nastolatek")
        assert middle.guardian_role == "consent"
        assert identity_of(app, middle)["guardian_name"] == "Jan Opiekuński"
        adult = _form(who, page, guardian_name="Jan Opiekuński", birth_date=_years_ago(30))
        saved = await staff.post(url, data=adult)
        assert saved.status_code == 303, saved.text

    after = await voter_named(app, edition.id, "Nastolatek")
    assert "guardian_name" not in identity_of(app, after)
    assert (after.guardian_role, after.guardian_key) == (None, None)
    assert await _corrections(db, request_id) == [
        ["guardian_name"],
        ["birth_date", "guardian_name"],
    ]


async def test_a_changed_contact_takes_a_free_slot_or_is_refused_beside_the_field(app, client, db):
    """Two ballots per contact: two voters share a phone; a third voter's phone corrected
    to it is refused until one of the two moves to another phone, then takes the freed
    slot."""
    edition = await edition_create(app, max_ballots_per_contact=2)
    shared = person()["phone"]
    first = person(last_name="Pierwsza", phone=shared)
    async with asgi_client(app) as browser:
        second = person(last_name="Druga", phone=shared)
        assert (await vote(browser, app, edition.slug, second, ["C1"])).status_code == 303
    third = person(last_name="Trzecia")
    async with asgi_client(app) as browser:
        assert (await vote(browser, app, edition.slug, third, ["C1"])).status_code == 303
        receipt = await receipt_of(browser, edition.slug)
        third_request = await request_file(
            browser, app, receipt, third["phone"], "rectification", "Tel"
        )
    assert (await vote(client, app, edition.slug, first, ["C1"])).status_code == 303
    receipt = await receipt_of(client, edition.slug)
    first_request = await request_file(client, app, receipt, shared, "rectification", "Tel")
    before = await voter_named(app, edition.id, "Trzecia")
    slots = {
        name: (await voter_named(app, edition.id, name)).contact_slot
        for name in ("Pierwsza", "Druga")
    }
    assert sorted(slots.values()) == [0, 1]

    async with await staff_client(app, "admin") as staff:
        page = (await held_open(staff, third_request)).text
        form = _form(third, page, phone=shared)
        refused = await staff.post(f"/staff/privacy/requests/{third_request}/correct", data=form)
        assert refused.status_code == 400
        assert "Ten kontakt wykorzystano już" in _beside(refused.text, "phone")
        assert f'value="{shared}"' in refused.text  # the typed phone, shown again
        unchanged = await voter_named(app, edition.id, "Trzecia")
        assert unchanged.model_dump() == before.model_dump()
        assert await _corrections(db, third_request) == []

        page = (await held_open(staff, first_request)).text
        moved = _form(first, page, phone=person()["phone"])
        saved = await staff.post(f"/staff/privacy/requests/{first_request}/correct", data=moved)
        assert saved.status_code == 303, saved.text
        saved = await staff.post(f"/staff/privacy/requests/{third_request}/correct", data=form)
        assert saved.status_code == 303, saved.text

    after = await voter_named(app, edition.id, "Trzecia")
    assert after.contact_key == _key(app, edition.id, "contact:" + e164(shared))
    assert after.contact_slot == slots["Pierwsza"]  # the slot the first voter left
    assert (await voter_named(app, edition.id, "Druga")).contact_slot == slots["Druga"]
    assert await _corrections(db, third_request) == [["phone"]]
