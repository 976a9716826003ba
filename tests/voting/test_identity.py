"""Identity rules: what a resident may type, and what counts as the same person."""

from dataclasses import dataclass, field
from datetime import date

import pytest

from urna.core.errors import FormInvalid
from urna.core.text import text_fold
from urna.editions.models import Edition
from urna.editions.service import RegisterStreet
from urna.editions.snapshot import EditionSnapshot, street_index_of, street_lookup
from urna.voting import identity as rules
from urna.voting.schemas import NOT_MOBILE, IdentityForm, IdentityRules, form_parse

TODAY = date(2027, 5, 10)
STREETS = street_index_of([RegisterStreet("ul. Lipowa", 1), RegisterStreet("ul. Łąkowa", 2)])
FULL = ["first_name", "last_name", "address", "birth_date", "phone", "pesel", "email"]


@dataclass
class Checked:
    identity: IdentityForm | None
    errors: dict[str, str] = field(default_factory=dict)


def check(form, required=FULL) -> Checked:
    context = IdentityRules(required=frozenset(required), today=TODAY, streets=STREETS)
    try:
        return Checked(form_parse(IdentityForm, form, context=context))
    except FormInvalid as error:
        return Checked(None, error.errors)


def adult(**overrides):
    form = {
        "first_name": "Łukasz",
        "last_name": "Nowak-Kowalski",
        "street": "ul. Lipowa",
        "house_number": "12a/3",
        "birth_date": "1985-03-07",
        "phone": "600 100 200",
        "pesel": "85030712342",
        "email": "Lukasz.Nowak@Example.PL",
    }
    form.update(overrides)
    return form


def test_valid_adult_is_cleaned_and_normalised():
    result = check(adult(pesel="85030700000"))  # checksum fixed below
    assert "pesel" in result.errors  # a wrong checksum is refused
    from stdnum.pl import pesel

    good = "8503071234" + pesel.calc_check_digit("8503071234")
    result = check(adult(pesel=good))
    assert result.errors == {}
    person = result.identity
    assert person.phone == "+48600100200"
    assert person.email == "lukasz.nowak@example.pl"
    assert person.fields["house_number"] == "12A/3"
    assert person.age == 42 and person.guardian_role is None
    assert person.area_id == 1  # read from the street register


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "12345", "This phone number is not valid"),
        ("phone", "", "This field is required."),
        ("street", "ul. Nieistniejąca", "not in the register"),
        ("house_number", "dwanaście", "Give the house number"),
        ("birth_date", "2099-01-01", "cannot be in the future"),
        ("birth_date", "31.02.1980", "Give the date as"),
        ("birth_date", "1850-01-01", "Check the year of birth"),
        ("first_name", "<script>", "Use letters only"),
        ("email", "not-an-address", "e-mail address is not valid"),
        ("pesel", "12345678901", "PESEL number is not valid"),
    ],
)
def test_bad_input_gets_a_message_for_that_field(field, value, message):
    result = check(
        adult(**{field: value}),
        required=[*FULL[:5], field] if field in ("pesel", "email") else FULL[:5],
    )
    assert message in result.errors[field]


@pytest.mark.parametrize(
    "landline",
    [
        "22 123 45 67",  # Warsaw
        "12 345 67 89",  # Kraków
        "58 123 45 67",  # Gdańsk
        "+48 61 234 56 78",  # Poznań, typed with the country code
        "642 123 456",  # a pager range: no SMS either
        "701 234 567",  # premium rate
    ],
)
def test_a_landline_is_refused_where_the_code_goes_by_sms(landline):
    result = check(adult(phone=landline), required=FULL[:5])
    assert result.errors == {"phone": NOT_MOBILE}
    assert NOT_MOBILE.startswith("This is not a mobile phone number.")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("451 234 567", "+48451234567"),
        ("501-234-567", "+48501234567"),
        ("+48 530 000 001", "+48530000001"),
        ("0048 570 123 456", "+48570123456"),
        ("666 777 888", "+48666777888"),
        ("691234567", "+48691234567"),
        ("721 234 567", "+48721234567"),
        ("731 234 567", "+48731234567"),
        ("781 234 567", "+48781234567"),
        ("791 234 567", "+48791234567"),
        ("881 234 567", "+48881234567"),
        ("+49 151 23456789", "+4915123456789"),  # a German mobile: the SMS reaches it
    ],
)
def test_mobile_numbers_of_every_range_pass(typed, stored):
    result = check(adult(phone=typed), required=FULL[:5])
    assert result.errors == {} and result.identity.phone == stored


def test_only_required_fields_are_read():
    result = check(
        {"first_name": "Anna", "last_name": "Nowak", "pesel": "garbage"},
        ["first_name", "last_name"],
    )
    assert result.errors == {}
    assert set(result.identity.fields) == {"first_name", "last_name"}
    assert result.identity.pesel is None


def test_birth_date_must_match_pesel():
    from stdnum.pl import pesel

    number = "9001011234"
    number += pesel.calc_check_digit(number)
    result = check(adult(pesel=number, birth_date="1990-01-02"))
    assert "does not match the PESEL" in result.errors["birth_date"]


def test_child_under_13_needs_a_guardian_voting_on_behalf():
    form = adult(birth_date="2018-01-01")
    result = check(form, FULL[:5])
    assert "guardian_name" in result.errors
    assert "on the child's behalf" in result.errors["guardian_declaration"]
    form.update(guardian_name="Ewa Nowak", guardian_declaration="consent")
    assert "guardian_declaration" in check(form, FULL[:5]).errors  # wrong declaration kind
    form["guardian_declaration"] = "on_behalf"
    result = check(form, FULL[:5])
    assert result.errors == {}
    assert result.identity.guardian_role == "on_behalf"
    assert result.identity.fields["guardian_name"] == "Ewa Nowak"


def test_teenager_votes_with_guardian_consent():
    form = adult(birth_date="2011-05-10", guardian_name="Jan Nowak", guardian_declaration="consent")
    result = check(form, FULL[:5])
    assert result.errors == {}
    assert result.identity.age == 16 and result.identity.guardian_role == "consent"
    assert rules.age_band(result.identity.age) == "13-17"


def test_same_person_typed_differently_has_the_same_key():
    one = check(adult(), FULL[:5]).identity
    two = check(
        adult(
            first_name="  lukasz ",
            last_name="NOWAK-KOWALSKI",
            street="UL. LIPOWA",
            house_number="12A / 7",
        ),
        FULL[:5],
    ).identity
    assert rules.identity_key_material(one.fields) == rules.identity_key_material(two.fields)
    other = check(adult(first_name="Marek"), FULL[:5]).identity
    assert rules.identity_key_material(other.fields) != rules.identity_key_material(one.fields)


@pytest.mark.parametrize(
    ("age", "band"),
    [(0, "0-12"), (12, "0-12"), (13, "13-17"), (18, "18-24"), (64, "55-64"), (99, "65+")],
)
def test_age_bands(age, band):
    assert rules.age_band(age) == band


def test_pesel_typed_with_dashes_or_spaces_is_the_same_number():
    """The voter key is made from the stored number: a dash must not make a new voter."""
    plain = check(adult(pesel="85030712349")).identity
    for typed in ("850307-12349", "850-307-123 49", " 85030712349 "):
        assert check(adult(pesel=typed)).identity.pesel == plain.pesel == "85030712349"


@pytest.mark.parametrize(
    "number",
    [
        "31250550555",  # born 2031-05-05: after TODAY
        "80810146194",  # born 1880: older than anyone living
    ],
)
def test_pesel_with_an_impossible_birth_date_is_refused(number):
    from stdnum.pl import pesel

    assert pesel.is_valid(number)  # a valid checksum: only the date is impossible
    result = check(
        adult(pesel=number, guardian_name="Ewa Nowak", guardian_declaration="on_behalf"),
        ["first_name", "last_name", "pesel"],
    )
    assert "date of birth that is not possible" in result.errors["pesel"]


def test_house_number_with_leading_zeros_is_the_same_address():
    keys = {
        rules.identity_key_material(check(adult(house_number=typed), FULL[:5]).identity.fields)
        for typed in ("12", "012", "0012/3", "12/03")
    }
    assert len(keys) == 1
    assert check(adult(house_number="012/03A"), FULL[:5]).identity.fields["house_number"] == "12/3A"
    assert check(adult(house_number="10/0"), FULL[:5]).identity.fields["house_number"] == "10/0"


def test_name_marks_do_not_make_another_person():
    base = rules.identity_key_material(check(adult(), FULL[:5]).identity.fields)
    for last in ("Nowak Kowalski", "Nowak-Kowalski.", "Nowak\u2010Kowalski"):
        person = check(adult(last_name=last), FULL[:5]).identity
        assert rules.identity_key_material(person.fields) == base, last
    other = check(adult(last_name="NowakKowalski"), FULL[:5]).identity
    assert rules.identity_key_material(other.fields) != base


def test_a_street_is_found_without_its_kind_unless_that_leaves_two():
    """A phone without the list's suggestions: "lipowa" is "ul. Lipowa", stored with the
    register's spelling (one street, one identity key); "Wolności" names two streets."""
    register = (("ul. Lipowa", 1), ("ul. Wolności", 1), ("pl. Wolności", 2), ("Rondo ONZ", 2))
    snapshot = EditionSnapshot(
        edition=Edition(slug="x"), pools=(), areas=(), projects=(),
        streets=tuple(RegisterStreet(name, area) for name, area in register),
    )  # fmt: skip
    context = IdentityRules(
        required=frozenset(FULL[:5]), today=TODAY, streets=snapshot.street_index
    )
    keys = set()
    for typed in ("lipowa", "UL LIPOWA", "ul. Lipowa", "Ulica Lipowa", "al. Lipowa"):
        person = form_parse(IdentityForm, adult(street=typed), context=context)
        assert person.fields["street"] == "ul. Lipowa" and person.area_id == 1, typed
        keys.add(rules.identity_key_material(person.fields))
    assert len(keys) == 1
    for typed, area in (("pl. wolnosci", 2), ("plac Wolności", 2), ("onz", 2)):
        person = form_parse(IdentityForm, adult(street=typed), context=context)
        assert person.area_id == area, typed
    with pytest.raises(FormInvalid) as refused:
        form_parse(IdentityForm, adult(street="Wolności"), context=context)
    assert "street" in refused.value.errors  # which of the two: the list says
    assert street_lookup(snapshot.street_index, "lipowa").name == "ul. Lipowa"


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("Łukasz  Nowak", "lukasz nowak"),
        ("ŁUKASZ", "lukasz"),
        ("Groß-Żółć", "gross zolc"),
        ("O\u2019Neill", "o neill"),
        ("\uff2d\uff41\uff52\uff49\uff41", "maria"),  # full-width letters
        ("Zo\u0308e\tAnn.", "zoe ann"),  # a combining diaeresis, a tab, an initial's dot
        (" Ęą ", "ea"),
    ],
)
def test_a_name_folds_to_the_key_voters_already_have(typed, key):
    """The identity key of those who have voted: the same bytes whichever code folds the
    text, or an edition's voters could vote again (README: what counts as the same person)."""
    assert rules.name_key(typed) == key


def test_the_identity_key_material_is_unchanged():
    fields = {
        "first_name": "  Łukasz ",
        "last_name": "Nowak-Kowalska",
        "birth_date": "1985-03-07",
        "street": "UL.  ŁĄKOWA",
        "house_number": "12A/3",
    }
    assert rules.identity_key_material(fields) == "lukasz|nowak kowalska|1985-03-07|ul. lakowa|12A"
    assert text_fold("Groß-Żółć O\u2019Neill") == "gross-zolc o\u2019neill"  # fraud keys
