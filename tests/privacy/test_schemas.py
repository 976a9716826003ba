"""The forms of data-subject requests are schemas: a resident's request and the office's
answer are parsed once, each refusal a message (a msgid) beside its own field; a text is
refused whole (a control character, or more than 4000 characters), never cut."""

from __future__ import annotations

import pytest

from urna.core.errors import FormInvalid
from urna.core.forms import TOO_LONG, UNSAFE, form_parse
from urna.privacy.models import REQUEST_TEXT_MAX
from urna.privacy.schemas import AnswerForm, RequestForm

KIND = "Choose what you are asking for."
WHAT_TO_CORRECT = "Write what should be corrected."
STATE = "Choose a state."
ANSWER_REQUIRED = "Write the answer the resident will read."
HIDDEN = ("\x00", "\x1b[31m", "\u202e", "\u2066")  # NUL, escape, direction override, isolate


def _refused(model, values) -> dict[str, str]:
    with pytest.raises(FormInvalid) as caught:
        form_parse(model, values)
    return caught.value.errors


def test_a_request_is_one_paragraph_in_the_residents_words():
    form = form_parse(
        RequestForm, {"kind": "rectification", "text": " Popraw\r\n ulicę\t na  Lipową "}
    )
    assert (form.kind, form.text) == ("rectification", "Popraw ulicę na Lipową")
    assert form_parse(RequestForm, {"kind": "erasure", "text": "  "}).text == ""


@pytest.mark.parametrize("kind", ["", "everything", "Erasure", "erasure\x00"])
def test_a_request_asks_for_one_of_the_rights(kind):
    assert _refused(RequestForm, {"kind": kind, "text": "Proszę"}) == {"kind": KIND}


def test_a_rectification_says_what_to_correct():
    for text in ("", " ", "\n\n"):
        errors = _refused(RequestForm, {"kind": "rectification", "text": text})
        assert errors == {"text": WHAT_TO_CORRECT}


@pytest.mark.parametrize("hidden", HIDDEN)
def test_a_request_with_a_control_character_is_refused_whole(hidden):
    for kind in ("rectification", "objection"):
        errors = _refused(RequestForm, {"kind": kind, "text": f"Popraw{hidden} nazwisko"})
        assert errors == {"text": UNSAFE}


def test_a_request_is_at_most_4000_characters_and_never_cut():
    most = "x" * REQUEST_TEXT_MAX
    assert form_parse(RequestForm, {"kind": "erasure", "text": most}).text == most
    errors = _refused(RequestForm, {"kind": "erasure", "text": most + "x"})
    assert errors == {"text": TOO_LONG}
    # counted once the spaces are collapsed, as it is stored
    spaced = " ".join(["x" * 1000] * 4)  # 4003 characters, one space each
    assert _refused(RequestForm, {"kind": "erasure", "text": spaced}) == {"text": TOO_LONG}


def test_every_field_of_a_request_is_answered_at_once():
    errors = _refused(RequestForm, {"kind": "", "text": "a\x00b"})
    assert errors == {"kind": KIND, "text": UNSAFE}


def test_an_answer_closes_a_request_with_words_for_the_resident():
    form = form_parse(AnswerForm, {"state": "done", "answer": " Poprawiono.\nUrząd "})
    assert (form.state, form.answer) == ("done", "Poprawiono.\nUrząd")  # its lines kept
    assert form_parse(AnswerForm, {"state": "in_progress", "answer": " "}).answer == ""
    for state in ("done", "refused"):
        assert _refused(AnswerForm, {"state": state, "answer": " "}) == {"answer": ANSWER_REQUIRED}
    for state in ("", "closed", "done\x00"):
        assert _refused(AnswerForm, {"state": state, "answer": "Tak"}) == {"state": STATE}


def test_an_answer_is_refused_whole():
    for hidden in HIDDEN:
        errors = _refused(AnswerForm, {"state": "done", "answer": f"Poprawiono{hidden}."})
        assert errors == {"answer": UNSAFE}
    most = "x" * REQUEST_TEXT_MAX
    assert form_parse(AnswerForm, {"state": "done", "answer": most}).answer == most
    assert _refused(AnswerForm, {"state": "done", "answer": most + "x"}) == {"answer": TOO_LONG}
