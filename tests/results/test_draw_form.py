"""The console's form of a pool's public draw is a schema: the drawn number (spaces as it
is read aloud allowed, up to the BIGINT column), the drawn order as project numbers, and
a note, each text refused whole (a control character, or more than 2000 characters),
never cut. Which of the two a draw gives is the results service's check."""

from __future__ import annotations

import pytest

from urna.core.errors import FormInvalid
from urna.core.forms import TOO_LONG, UNSAFE, form_parse
from urna.results.schemas import DRAW_NOTE_MAX, DRAW_ORDER_MAX, DrawForm

WHOLE = "The drawn number must be a whole number."
LARGE = "The drawn number is too large."
HIDDEN = ("\x00", "\x1b[31m", "\u202e", "\x07")


def _refused(values) -> dict[str, str]:
    with pytest.raises(FormInvalid) as caught:
        form_parse(DrawForm, values)
    return caught.value.errors


def test_a_draw_is_a_number_or_an_order_and_a_note():
    draw = form_parse(DrawForm, {"pool": "CITY", "seed": " 424 242 ", "note": " Ratusz "})
    assert (draw.seed, draw.drawn_order, draw.note) == (424242, None, "Ratusz")
    draw = form_parse(DrawForm, {"order": " C2, C1 ,, C10 ", "seed": "  "})
    assert (draw.seed, draw.drawn_order, draw.note) == (None, ["C2", "C1", "C10"], "")
    assert form_parse(DrawForm, {"seed": str(2**63 - 1)}).seed == 2**63 - 1
    assert form_parse(DrawForm, {"seed": "0"}).seed == 0


@pytest.mark.parametrize("seed", ["dużo", "-1", "1.5", "1e9", "²", "①", "٣", "１２", "7\x00"])
def test_a_drawn_number_is_a_whole_number(seed):
    assert _refused({"seed": seed}) == {"seed": WHOLE}


@pytest.mark.parametrize("seed", [str(2**63), "9" * 5000])
def test_a_drawn_number_fits_the_column(seed):
    assert _refused({"seed": seed}) == {"seed": LARGE}


@pytest.mark.parametrize("field", ["order", "note"])
def test_an_order_or_a_note_with_a_control_character_is_refused_whole(field):
    for hidden in HIDDEN:
        assert _refused({"seed": "7", field: f"C1{hidden}, C2"}) == {field: UNSAFE}


def test_an_order_and_a_note_are_at_most_2000_characters():
    for field, most in (("order", DRAW_ORDER_MAX), ("note", DRAW_NOTE_MAX)):
        draw = form_parse(DrawForm, {"seed": "7", field: "x" * most})
        assert getattr(draw, field) == "x" * most
        assert _refused({field: "x" * (most + 1)}) == {field: TOO_LONG}


def test_every_field_of_a_draw_is_answered_at_once():
    errors = _refused({"seed": "dużo", "order": "C1\x00", "note": "x" * (DRAW_NOTE_MAX + 1)})
    assert errors == {"seed": WHOLE, "order": UNSAFE, "note": TOO_LONG}
