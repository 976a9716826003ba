"""Forms are schemas: hostile or odd input (digits of other scripts, NUL, a direction
override, numbers no column holds) gets a message next to its field, never a 500, and
nothing is stored."""

from datetime import date

import pytest
from sqlalchemy import func, select

from tests.factories.editions import edition_create
from tests.factories.staff import csrf_of, staff_client
from tests.factories.voting import person, post_form, reach_choices, reach_identity
from urna.core.errors import FormInvalid
from urna.editions.service import RegisterStreet
from urna.editions.snapshot import street_index_of
from urna.voting.models import Ballot, PaperEntry, Voter
from urna.voting.schemas import (
    CodeForm,
    IdentityForm,
    IdentityRules,
    ReceiptForm,
    choices_parse,
    form_parse,
)

pytestmark = pytest.mark.flow

RULES = IdentityRules(
    required=frozenset(["first_name", "last_name", "address", "birth_date"]),
    today=date(2027, 5, 10),
    streets=street_index_of([RegisterStreet("ul. Lipowa", 1)]),
)
ADULT = {
    "first_name": "Anna",
    "last_name": "Nowak",
    "street": "ul. Lipowa",
    "house_number": "12",
    "birth_date": "1980-01-02",
}
UNSAFE_PL = "Ten tekst zawiera niewidoczne znaki sterujące"
FOREIGN_DIGITS = ["²", "³¹", "①②③", "٣", "１２"]  # superscripts, circled, Arabic, full-width


def errors_of(model, data, context=None) -> dict[str, str]:
    with pytest.raises(FormInvalid) as caught:
        form_parse(model, data, context=context)
    return caught.value.errors


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("first_name", "An\x00na"),  # NUL
        ("last_name", "Nowak\u202ekswoN"),  # right-to-left override
        ("street", "ul.\u2066 Lipowa"),  # isolate
        ("house_number", "12\u200b"),  # zero-width space
    ],
)
def test_hidden_characters_are_refused_in_their_field(field, value):
    errors = errors_of(IdentityForm, dict(ADULT, **{field: value}), RULES)
    assert errors == {field: "This text contains invisible control characters. Type it "
                      "again, or paste it as plain text."}  # fmt: skip


@pytest.mark.parametrize("name", ["Anna①", "Jan 3", "Ewa²", "<b>", "---"])
def test_names_are_letters(name):
    assert errors_of(IdentityForm, dict(ADULT, first_name=name), RULES) == {
        "first_name": "Use letters only (spaces, hyphens and apostrophes allowed)."
    }


def test_names_of_other_alphabets_and_with_apostrophes_are_letters():
    typed = dict(ADULT, first_name="Zoë-Łucja", last_name="O’Brien Ševčík")
    form = form_parse(IdentityForm, typed, context=RULES)
    assert form.fields["last_name"] == "O’Brien Ševčík"


def test_one_message_per_field_and_only_asked_fields_read():
    errors = errors_of(
        IdentityForm,
        {"first_name": "", "last_name": "X\x00", "house_number": "①", "pesel": "\x00"},
        RULES,
    )
    assert set(errors) == {"first_name", "last_name", "street", "house_number", "birth_date"}
    assert all(isinstance(message, str) for message in errors.values())


@pytest.mark.parametrize("value", FOREIGN_DIGITS + ["abc", "-1", "0", "9" * 40, "1.5", ""])
def test_project_ids_are_ascii_digits_within_the_column(value):
    with pytest.raises(FormInvalid) as caught:
        choices_parse(["1", value])
    assert caught.value.errors == {"choices": "Choose the projects from the list on this page."}


def test_project_ids_parse_and_repeat_once():
    assert choices_parse(["7", "2147483647", "7"]) == [7, 2147483647]
    assert choices_parse([]) == []


@pytest.mark.parametrize("code", ["12345", "1234567", "①②③④⑤⑥", "١٢٣٤٥٦", "12\x0034"])
def test_codes_are_six_ascii_digits(code):
    assert set(errors_of(CodeForm, {"code": code})) == {"code"}
    assert form_parse(CodeForm, {"code": "123 456"}).code == "123456"


@pytest.mark.parametrize("code", ["7K3M-Q9TX-2B4\x00", "7K3M-Q9TX-2B4①", "x" * 10_000])
def test_receipt_codes_refuse_the_odd(code):
    assert set(errors_of(ReceiptForm, {"code": code})) == {"code"}


async def _count(app, model, edition_id) -> int:
    async with app.state.ctx.db() as session:
        query = select(func.count()).select_from(model).where(model.edition_id == edition_id)
        return (await session.execute(query)).scalar_one()


@pytest.mark.parametrize("value", FOREIGN_DIGITS + ["9" * 30])
async def test_choices_with_foreign_digits_or_huge_ids_get_a_message_not_a_500(app, client, value):
    edition = await edition_create(app)
    page = await reach_choices(client, app, edition.slug, person())
    response = await post_form(
        client, f"/e/{edition.slug}/vote/choices", {"project": [value]}, page
    )
    assert response.status_code == 400
    assert "Wybierz projekty z listy na tej stronie." in response.text
    review = await client.get(f"/e/{edition.slug}/vote/review")
    assert review.status_code == 303  # nothing was chosen
    assert await _count(app, Ballot, edition.id) == 0


@pytest.mark.parametrize("name", ["Jan\x00", "Jan\u202enaJ", "Jan①"])
async def test_identity_with_hidden_or_odd_characters_stores_nothing(app, client, name):
    edition = await edition_create(app)
    page = await reach_identity(client, edition.slug)
    response = await post_form(
        client, f"/e/{edition.slug}/vote/identity", person(first_name=name), page
    )
    assert response.status_code == 400
    assert 'aria-describedby="first_name-error"' in response.text
    assert await _count(app, Voter, edition.id) == 0


async def test_a_paper_ballot_with_odd_input_is_refused_field_by_field(app):
    edition = await edition_create(app)
    async with await staff_client(app, "admin") as admin:
        page = (await admin.get(f"/staff/paper/{edition.slug}")).text
        response = await admin.post(
            f"/staff/paper/{edition.slug}",
            data={
                **person(last_name="Nowak\u202e"),
                "sheet": "A\x00-1",
                "collection_point": "Urząd",
                "collected_on": "２０２７-01-01",
                "project": ["①", "12"],
                "csrf_token": csrf_of(page),
            },
        )
    assert response.status_code == 400
    text = response.text
    # the sheet and the last name, each in the error summary and beside its field
    assert text.count(UNSAFE_PL) == 4
    assert "Podaj datę w formacie DD.MM.RRRR." in text
    assert "Wybierz projekty z listy na tej stronie." in text
    assert await _count(app, PaperEntry, edition.id) == 0
    assert await _count(app, Ballot, edition.id) == 0
