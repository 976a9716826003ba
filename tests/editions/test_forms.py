"""The edition forms are schemas: Polish money, percentages, dates and whole numbers are
parsed once, bad input gets one message (a msgid) per field, never a 500."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from urna.core import forms as core_forms
from urna.core import i18n
from urna.core.errors import FormInvalid
from urna.core.forms import form_parse
from urna.core.i18n import LANGUAGES, LOCAL_ZONE
from urna.core.moments import GAP
from urna.editions.forms import (
    AreaForm,
    EditionForm,
    EditionNewForm,
    PoolForm,
    PoolRulesForm,
    ProjectForm,
    ProjectRow,
)

WHOLE_0 = "Give a whole number, 0 or more."


def _refused(model, values) -> dict[str, str]:
    with pytest.raises(FormInvalid) as caught:
        form_parse(model, values)
    return caught.value.errors


def _pool(**changes) -> dict[str, str]:
    return {"code": "N", "name": "Pula Północ", "budget": "30 000", **changes}


@pytest.mark.parametrize(
    ("typed", "grosze"),
    [
        ("1 234,56 zł", 123_456),
        ("150 000", 15_000_000),
        ("2 499,99", 249_999),
        ("1\u00a0234,5", 123_450),  # a no-break space, as spreadsheets copy it
        ("30000.50", 3_000_050),
        ("0,01", 1),  # a budget of 0 is refused (test_setup_refusals)
    ],
)
def test_money_is_read_as_polish_offices_write_it(typed, grosze):
    assert form_parse(PoolForm, _pool(budget=typed)).budget == grosze


@pytest.mark.parametrize(
    ("typed", "grosze"),
    [
        ("PLN\u00a01,234.50", 123_450),  # as the English console shows an amount
        ("PLN 150,000", 15_000_000),
        ("1,000,000", 100_000_000),
        ("1,234.5", 123_450),
        ("PLN 1,50", 150),  # not English grouping: the Polish decimal comma
    ],
)
def test_money_as_the_english_console_writes_it_is_read(typed, grosze):
    """An English page writes PLN 1,234.50: typed back as shown, it is the same amount
    (it was refused, with an example in Polish format). "12,345" alone stays refused."""
    assert form_parse(PoolForm, _pool(budget=typed)).budget == grosze


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("grosze", [1, 99_50, 1_000_00, 1_234_50, 12_345_00, 123_456_789_01])
def test_money_as_the_pages_write_it_is_read_back_unchanged(grosze, lang):
    """A form prefilled with an amount as the pages write it ("12 345 zł", "PLN 12,345"),
    sent back unchanged, is the same amount in either language."""
    shown = i18n.format_money(grosze, lang)
    assert form_parse(PoolForm, _pool(budget=shown)).budget == grosze


@pytest.mark.parametrize(
    "typed",
    ["dużo", "-5", "12,345", "1,2,3", "１２", "٣٠٠", "9" * 30, "NaN", "Infinity"],
)
def test_what_is_not_money_is_refused_on_its_field(typed):
    assert _refused(PoolForm, _pool(budget=typed)) == {
        "budget": "Give an amount in zloty, e.g. 150 000 or 2 499,99."
    }


@pytest.mark.parametrize("typed", ["²", "①", "٣", "１２", "3.5", "1e3", "0x10", "+-1", "½", "-2"])
def test_whole_numbers_are_ascii_digits_only(typed):
    assert _refused(PoolRulesForm, {"min_votes": typed}) == {"min_votes": WHOLE_0}


@pytest.mark.parametrize(
    ("field", "typed"),
    [
        ("min_votes", "99999999999999999999"),
        ("min_votes", "2147483648"),  # one more than an INTEGER column holds
        ("max_choices", "9223372036854775808"),  # one more than int64
    ],
)
def test_huge_numbers_are_too_large_not_an_overflow(field, typed):
    model = PoolRulesForm if field == "min_votes" else PoolForm
    values = {field: typed} if model is PoolRulesForm else _pool(**{field: typed})
    assert _refused(model, values) == {field: "This number is too large."}


def test_a_number_longer_than_python_converts_is_refused_quietly():
    """int() refuses more than 4300 digits with a ValueError: it never gets there."""
    assert _refused(PoolRulesForm, {"min_votes": "9" * 5000}) == {
        "min_votes": "This number is too large."
    }
    assert _refused(PoolRulesForm, {"min_votes": "-" + "9" * 5000}) == {"min_votes": WHOLE_0}


@pytest.mark.parametrize("typed", ["2,5", "2.5", "2,5 %", " 2,5% ", "100", "0"])
def test_percentages_take_a_comma_or_a_dot(typed):
    expected = Decimal(typed.strip().removesuffix("%").strip().replace(",", "."))
    assert form_parse(PoolRulesForm, {"min_votes_percent": typed}).min_votes_percent == expected


@pytest.mark.parametrize("typed", ["dużo", "２,５", "2,5,5", "NaN", "1e2", "5%%"])
def test_what_is_not_a_percentage_is_refused(typed):
    assert _refused(PoolRulesForm, {"min_votes_percent": typed}) == {
        "min_votes_percent": "Give a percentage as a number, e.g. 5 or 2,5."
    }


@pytest.mark.parametrize(
    ("field", "typed"),
    [
        ("name", "Pula\x00"),  # NUL
        ("name", "Pula\x1b[31m"),  # an escape sequence
        ("name", "Pula\u202eaniwrop"),  # right-to-left override
        ("name", "Pula\u2066x\u2069"),  # an isolate
        ("name", "Pula\nPółnoc"),  # a line break in a one-line field
        ("code", "N\tS"),
    ],
)
def test_control_characters_and_direction_overrides_are_refused(field, typed):
    assert _refused(PoolForm, _pool(**{field: typed})) == {field: core_forms.UNSAFE}


def test_text_is_trimmed_and_a_description_keeps_its_lines():
    form = form_parse(
        ProjectForm,
        {"number": " P1 ", "pool": "CITY", "title": "  Park ", "cost": "60 000",
         "description": "Ławki.\r\nDrzewa.\n\tI alejki.", "category": "   "},
    )  # fmt: skip
    assert (form.number, form.title, form.category) == ("P1", "Park", "")
    assert form.description == "Ławki.\r\nDrzewa.\n\tI alejki."
    assert _refused(ProjectForm, {"number": "P1", "pool": "CITY", "title": "Park",
                                  "cost": "1", "description": "zero\x00"}) == {
        "description": core_forms.UNSAFE
    }  # fmt: skip


def test_each_field_gets_one_message_and_blank_is_missing():
    errors = _refused(EditionNewForm, {"slug": "Zły Adres!", "name": "   ", "csrf_token": "x"})
    assert errors == {
        "slug": "Use lower-case letters, digits and hyphens, e.g. bo-2027.",
        "name": "This field is required.",
        "municipality": "This field is required.",
        "voting_opens_at": "This field is required.",
        "voting_closes_at": "This field is required.",
        "results_at": "This field is required.",
        "pool_code": "This field is required.",
        "pool_name": "This field is required.",
        "pool_budget": "This field is required.",
    }
    long = _refused(AreaForm, {"area_code": "N" * 41, "area_name": "Północ"})
    assert long == {"area_code": "This text is too long."}
    choice = _refused(PoolForm, _pool(kind="planet", rule="lottery"))
    assert choice == {"kind": "Choose one of the options.", "rule": "Choose one of the options."}


@pytest.mark.parametrize(
    "typed",
    ["31.05.2027 23:59", "31.05.2027, 23:59", "2027-05-31T23:59", "2027-05-31 23:59"],
)
def test_dates_are_polish_or_iso_in_warsaw_time(typed):
    form = form_parse(EditionForm, _edition(voting_closes_at=typed))
    assert form.voting_closes_at == datetime(2027, 5, 31, 23, 59, tzinfo=LOCAL_ZONE)


def test_a_date_alone_is_midnight_and_an_offset_is_kept():
    form = form_parse(EditionForm, _edition(voting_opens_at="01.05.2027"))
    assert form.voting_opens_at == datetime(2027, 5, 1, tzinfo=LOCAL_ZONE)
    form = form_parse(EditionForm, _edition(voting_opens_at="2027-05-01T00:00:00+00:00"))
    assert form.voting_opens_at.utcoffset().total_seconds() == 0


def test_a_date_the_spring_clock_change_skips_is_refused_and_not_moved():
    assert _refused(EditionForm, _edition(voting_opens_at="2027-03-28T02:30")) == {
        "voting_opens_at": GAP
    }


@pytest.mark.parametrize(
    "typed",
    ["31.02.2027", "٣١.٠٥.٢٠٢٧", "0001-01-01T00:00", "9999-12-31T23:59", "jutro", "31/05/27"],
)
def test_impossible_or_foreign_dates_are_refused(typed):
    assert _refused(EditionForm, _edition(voting_opens_at=typed)) == {
        "voting_opens_at": "Give the date and time, e.g. 31.05.2027 23:59."
    }


def test_fields_are_compared_once_each_is_valid():
    wrong = _edition(
        voting_opens_at="10.05.2027 00:00",
        voting_closes_at="01.05.2027 00:00",
        required_fields=["last_name", "birth_date"],
        confirmation_channel="email",
    )
    assert _refused(EditionForm, wrong) == {
        "voting_closes_at": "Voting must close after it opens.",
        "required_fields": (
            "Residents must give at least their first and last name, or their PESEL number."
        ),
        "confirmation_channel": (
            "A code by e-mail needs the e-mail address among the identity fields."
        ),
    }
    assert _refused(EditionForm, _edition(results_at="30.05.2027 00:00")) == {
        "results_at": "The results cannot come before voting closes."
    }
    assert _refused(PoolForm, _pool(kind="district", min_choices="3", max_choices="2")) == {
        "max_choices": "The most projects a resident may choose cannot be fewer than the fewest.",
        "area": "A district pool needs its area.",
    }
    assert _refused(EditionForm, _edition(retention_months="121", max_ballots_per_contact="0")) == {
        "retention_months": "Give a number of months from 1 to 120.",
        "max_ballots_per_contact": "Give a number from 1 to 20.",
    }


def test_a_new_edition_form_becomes_the_import_model_with_its_first_pool():
    values = _edition(slug="bo-2027", municipality="Gmina", pool_code="CITY",
                      pool_name="Pula", pool_budget="150 000", pool_max_choices="2")  # fmt: skip
    edition = form_parse(EditionNewForm, values).as_input()
    assert (edition.slug, edition.retention_months, edition.district_limited_to_area) == (
        "bo-2027", 3, False,
    )  # fmt: skip
    assert [(p.code, p.budget, p.max_choices) for p in edition.pools] == [("CITY", 15_000_000, 2)]


def test_csv_rows_give_the_cost_in_grosze():
    row = {"number": "P2", "pool": "CITY", "title": "Ławki", "cost": "800000"}
    assert form_parse(ProjectRow, row).as_input().cost == 800_000
    assert _refused(ProjectRow, {**row, "cost": "8 000 zł"}) == {
        "cost": "Give the cost in grosze, as a whole number, e.g. 1500000."
    }


def _edition(**changes) -> dict:
    return {
        "name": "Budżet",
        "voting_opens_at": "01.05.2027 00:00",
        "voting_closes_at": "31.05.2027 23:59",
        "results_at": "15.06.2027 12:00",
        "required_fields": ["first_name", "last_name", "address", "phone"],
        **changes,
    }
