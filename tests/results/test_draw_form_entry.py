"""What the office types in the draw form: an empty form is told what to enter, a drawn
order may separate the numbers by commas, semicolons or spaces, and a refused order names
only the numbers that are not in the pool."""

from __future__ import annotations

import pytest

from tests.factories.staff import staff_client
from urna.core.errors import FormInvalid
from urna.core.forms import form_parse
from urna.results.schemas import DRAW_EMPTY, DrawForm

from .test_draw_checks import _draws, _record
from .test_results_views import _compute, tie_in_city


@pytest.mark.parametrize("values", [{}, {"order": " , "}, {"order": " ;; ", "note": "ratusz"}])
def test_a_draw_with_neither_a_number_nor_an_order_says_what_to_enter(values):
    with pytest.raises(FormInvalid) as caught:
        form_parse(DrawForm, values)
    assert caught.value.errors == {"seed": DRAW_EMPTY}


@pytest.mark.parametrize("order", ["2; 1", "2;1", "2 1", " 2 ,; 1 ", "2,\t1"])
def test_an_order_may_be_separated_by_semicolons_and_spaces(order):
    assert form_parse(DrawForm, {"order": order}).drawn_order == ["2", "1"]


@pytest.mark.flow
async def test_the_form_tells_what_to_enter_and_names_only_unknown_numbers(app):
    edition = await tie_in_city(app)
    slug = edition.slug
    async with await staff_client(app, "admin") as admin:
        run_id = await _compute(admin, slug)
        await admin.get("/staff/lang/en")
        empty = await _record(admin, slug, run_id, "")
        assert empty.status_code == 400
        assert "Enter the drawn number, or the drawn order" in empty.text
        assert "not both" not in empty.text
        unknown = await _record(admin, slug, run_id, "C2; N1")
        assert unknown.status_code == 400 and "not in this pool: N1." in unknown.text
        assert (await _record(admin, slug, run_id, "C2; C1")).status_code == 303
    assert [draw.draw_order for draw in (await _draws(app, edition.id)).values()] == [["C2", "C1"]]
