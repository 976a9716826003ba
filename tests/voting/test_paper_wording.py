"""The paper console speaks to the operator, who types someone else's sheet: the online
rules' messages for the resident ("choose your street from the list", "you chose") read
as the sheet's, and the two entries of a sheet are compared by the fields' labels, not by
their names in the code. New messages are checked in the English console (as msgids), so
that the test holds before and after the Polish catalogue is updated."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories.staff import staff_client
from tests.factories.voting import person
from tests.voting import test_schemas
from tests.voting.test_paper_console import ballot, entries, paper_edition
from urna.core.db import utcnow
from urna.core.errors import FormInvalid
from urna.core.i18n import LOCAL_ZONE
from urna.editions.models import Pool, Project
from urna.editions.service import RegisterStreet
from urna.editions.snapshot import street_index_of
from urna.voting import choices, schemas
from urna.voting.paper_ballot import COMPARED_FIELDS
from urna.voting.state import VoteState
from urna.voting.wording import Wording

pytestmark = pytest.mark.flow

RESIDENT_PL = ("Wybierz swoją ulicę z listy", "Wybierz ją z listy", "Możesz wybrać", "Twój głos")
RESIDENT_EN = ("Choose your street", "Choose it from the list", "You may choose", "You chose")


def _teenager(**overrides) -> dict[str, str]:
    """A resident of 15, who votes with a guardian's consent."""
    year = utcnow().astimezone(LOCAL_ZONE).year - 15
    return person(birth_date=f"{year}-01-01", guardian_name="Ewa Nowak", **overrides)


async def test_the_operator_is_told_what_the_sheet_lacks_not_what_to_choose(app):
    edition = await paper_edition(app)
    url = f"/staff/paper/{edition.slug}"
    async with await staff_client(app, "admin") as admin:
        page = (await admin.get(url)).text
        sheets = [
            ballot(person(street=""), ["C1"], page, sheet="W-1"),
            ballot(person(street="ul. Nieistniejąca"), ["C1"], page, sheet="W-2"),
            ballot(_teenager(), ["C1", "C2", "C3"], page, sheet="W-3"),
        ]
        polish = [(await admin.post(url, data=sheet)).text for sheet in sheets]
        await admin.get("/staff/lang/en")
        english = [(await admin.post(url, data=sheet)).text for sheet in sheets]
    for text in polish:
        assert not [words for words in RESIDENT_PL if words in text]
    for text in english:
        assert not [words for words in RESIDENT_EN if words in text]
    missing, unknown, teenager = english
    assert 'id="street-error">Type the street written on the ballot.' in missing
    assert "This street is not in the register of the municipality. Check how the ballot" in unknown
    assert (
        'id="guardian_declaration-error">Mark the declaration that the parent or legal guardian '
        "agrees to the vote." in teenager
    )
    assert "The ballot marks more projects than this pool allows." in teenager
    assert "A ballot may mark 2 projects of this pool at most." in teenager
    assert await entries(app, edition.id, "W-1") == []


async def test_a_sheet_that_marks_nothing_is_said_so(app):
    edition = await paper_edition(app)
    url = f"/staff/paper/{edition.slug}"
    async with await staff_client(app, "admin") as admin:
        await admin.get("/staff/lang/en")
        page = (await admin.get(url)).text
        response = await admin.post(url, data=ballot(person(), [], page, sheet="W-4"))
    assert response.status_code == 400
    assert "The ballot marks no project." in response.text
    assert "Choose at least one project." not in response.text


async def test_the_two_entries_are_compared_by_their_labels_and_declarations(app):
    edition = await paper_edition(app)
    teenager = _teenager(guardian_declaration="consent")
    async with (
        await staff_client(app, "admin") as first,
        await staff_client(app, "admin") as second,
    ):
        page = (await first.get(f"/staff/paper/{edition.slug}")).text
        response = await first.post(
            f"/staff/paper/{edition.slug}",
            data=ballot(teenager, ["C1"], page, sheet="W-5", double_entry="1"),
        )
        assert response.status_code == 303, response.text
        [entry] = await entries(app, edition.id, "W-5")
        page = (await second.get(f"/staff/paper/{edition.slug}/second/{entry.id}")).text
        adult = dict(teenager, birth_date="1980-01-01", guardian_name="", guardian_declaration="")
        response = await second.post(
            f"/staff/paper/{edition.slug}/second/{entry.id}", data=ballot(adult, ["C1"], page)
        )
        assert response.status_code == 303
        listed = (await second.get(f"/staff/paper/{edition.slug}/mismatches")).text
        detail = (await second.get(f"/staff/paper/{edition.slug}/mismatches/{entry.id}")).text
    assert "Data urodzenia, Imię i nazwisko rodzica lub opiekuna prawnego, Oświadczenie" in listed
    table = detail.split('id="mismatch"')[1].split("</table>")[0]
    assert not [name for name in COMPARED_FIELDS if f">{name}<" in table]
    assert '<td data-label="Pole">Oświadczenie</td>' in table
    assert "Głosuję sam(a), a mój rodzic lub opiekun prawny wyraża na to zgodę" in table
    assert ">consent<" not in table and ">—<" in table  # the adult's entry has none


def test_every_resident_message_has_its_operator_wording():
    identity = [schemas.STREET_MISSING, schemas.NOT_IN_REGISTER, schemas.NOT_MOBILE]
    identity += [schemas.CONSENT_MISSING]
    picks = [choices.TOO_MANY, choices.TOO_FEW, choices.TOO_DEAR, choices.NONE_CHOSEN]
    assert all(isinstance(message, Wording) for message in identity + picks)
    wordings = [v for module in (schemas, choices) for v in vars(module).values()]
    wordings = [value for value in wordings if isinstance(value, Wording)]
    assert all(wording.resident != wording.operator for wording in wordings)
    assert not [words for words in RESIDENT_EN for w in wordings if words in w.operator]


RULES = {
    "required": frozenset(["first_name", "last_name", "address", "birth_date", "phone"]),
    "today": date(2027, 5, 10),
    "streets": street_index_of([RegisterStreet("ul. Lipowa", 1)]),
}
ADULT = {**test_schemas.ADULT, "phone": "600 100 200"}


@pytest.mark.parametrize(
    ("field", "typed", "wording"),
    [
        ("street", {"street": ""}, schemas.STREET_MISSING),
        ("street", {"street": "ul. Nieistniejąca"}, schemas.NOT_IN_REGISTER),
        ("phone", {"phone": "22 123 45 67"}, schemas.NOT_MOBILE),  # a landline
        (
            "guardian_declaration",
            {"birth_date": "2012-01-01", "guardian_name": "Ewa Nowak"},  # 15: consent
            schemas.CONSENT_MISSING,
        ),
    ],
    ids=["street_missing", "not_in_register", "not_mobile", "consent_missing"],
)
def test_the_identity_rules_speak_to_whoever_reads_them(field, typed, wording):
    """One rule, two wordings, as the choices' (below): the resident is asked for "your
    street", the operator typing a paper ballot for "the street written on the ballot"."""
    said = {}
    for audience in ("resident", "operator"):
        rules = schemas.IdentityRules(**RULES, audience=audience)
        with pytest.raises(FormInvalid) as refused:
            schemas.form_parse(schemas.IdentityForm, dict(ADULT, **typed), context=rules)
        said[audience] = refused.value.errors
    assert said == {"resident": {field: wording.resident}, "operator": {field: wording.operator}}


@pytest.mark.parametrize(
    ("audience", "too_many", "none_chosen"),
    [
        ("resident", "You chose more projects", "Choose at least one project."),
        ("operator", "The ballot marks more projects", "The ballot marks no project."),
    ],
)
def test_the_choices_rules_speak_to_whoever_reads_them(audience, too_many, none_chosen):
    """One rule, two wordings: the online ballot is told "you chose", paper entry "the
    ballot marks", from the same check."""
    pool = Pool(id=1, edition_id=1, code="CITY", name="Miasto", budget=100, max_choices=1)
    projects = [
        Project(id=n, edition_id=1, pool_id=1, number=f"C{n}", title="", cost=10) for n in (1, 2)
    ]
    options = [choices.PoolChoice(pool=pool, projects=projects, chosen=[])]
    state = VoteState(edition="x", clause_id=0, confirmed=True)
    common = {"options": options, "state": state, "strict": True, "audience": audience}
    assert choices.choices_apply(picked=[1, 2], **common)["pool-1"].startswith(too_many)
    assert choices.choices_apply(picked=[], **common) == {"choices": none_chosen}
