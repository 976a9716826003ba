"""The verification team's forms are schemas: a decision, a reversal, an unmasking reason
and an export's scope are parsed once, each refusal a message (a msgid) beside its own
field. A note, a reason or a legal basis goes to the audit log forever: a control
character or a text too long is refused whole, never cut, and never reaches PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from urna.core.errors import FormInvalid
from urna.core.forms import TOO_LONG, UNSAFE, form_parse
from urna.core.moments import GAP
from urna.verification.evidence import (
    BASIS_MAX,
    BASIS_MIN,
    CASE_NUMBER,
    MOMENT,
    NETWORK,
    ExportScope,
    scope_parse,
)
from urna.verification.schemas import (
    NOTE_MAX,
    NOTE_TOO_LONG,
    REASON_MAX,
    REASON_MIN,
    DecisionForm,
    ReversalForm,
    UnmaskForm,
)

VERDICT = "Choose valid or invalid."
REASON_FITS = "Choose a reason category that fits the verdict."
NOTE_REQUIRED = "Say what the decision rests on."
REVERSAL_REQUIRED = "Say why the decision is reversed."
UNMASK_REQUIRED = "Say why you need to see who cast this ballot."
CATEGORY = "Choose the legal basis of the request."
BASIS_REQUIRED = "State the legal basis: the authority, its reference number and the provision."
UNTIL_AFTER = "The end of the period must come after its start."
HIDDEN = ("\x00", "\x1b[31m", "\u202e", "\x07")  # NUL, escape, direction override, bell
SENTENCE = "Sprawdzone w urzędzie, sygnatura KO.123.2027"  # long enough for every field
BASIS = "Prokuratura Rejonowa w Testowie, PR 1 Ds. 123.2027, art. 15 § 2 k.p.k."


def _refused(model, values) -> dict[str, str]:
    with pytest.raises(FormInvalid) as caught:
        form_parse(model, values)
    return caught.value.errors


def _scope_refused(values) -> dict[str, str]:
    with pytest.raises(FormInvalid) as caught:
        scope_parse(values)
    return caught.value.errors


# ---- a decision -------------------------------------------------------------------------


def test_a_decision_is_a_verdict_a_reason_that_fits_it_and_a_note():
    typed = {"verdict": "invalid", "reason": "automated", "note": "  Seen\nat night  "}
    form = form_parse(DecisionForm, {**typed, "csrf_token": "t"})
    assert (form.verdict, form.reason, form.note) == ("invalid", "automated", "Seen\nat night")
    valid = form_parse(DecisionForm, {"verdict": "valid", "reason": "genuine", "note": " "})
    assert valid.note == ""  # a note is required only to invalidate


@pytest.mark.parametrize("verdict", ["", "maybe", "Invalid", "invalid\x00"])
def test_a_verdict_is_valid_or_invalid(verdict):
    errors = _refused(DecisionForm, {"verdict": verdict, "reason": "other", "note": SENTENCE})
    assert errors == {"verdict": VERDICT}  # the reason waits for a verdict to fit


@pytest.mark.parametrize(
    ("verdict", "reason"),
    [("valid", "automated"), ("invalid", "genuine"), ("valid", ""), ("invalid", "because")],
)
def test_a_reason_fits_the_verdict(verdict, reason):
    errors = _refused(DecisionForm, {"verdict": verdict, "reason": reason, "note": SENTENCE})
    assert errors == {"reason": REASON_FITS}


def test_an_invalidation_says_what_it_rests_on():
    for note in ("", "   ", "\n\t"):
        errors = _refused(DecisionForm, {"verdict": "invalid", "reason": "other", "note": note})
        assert errors == {"note": NOTE_REQUIRED}


@pytest.mark.parametrize("hidden", HIDDEN)
def test_a_decision_note_with_a_control_character_is_refused(hidden):
    for verdict, reason in (("invalid", "other"), ("valid", "genuine")):
        note = f"{SENTENCE}{hidden} (art. 15)"
        errors = _refused(DecisionForm, {"verdict": verdict, "reason": reason, "note": note})
        assert errors == {"note": UNSAFE}


def test_a_decision_note_is_at_most_2000_characters_and_never_cut():
    values = {"verdict": "invalid", "reason": "other"}
    assert form_parse(DecisionForm, {**values, "note": "x" * NOTE_MAX}).note == "x" * NOTE_MAX
    errors = _refused(DecisionForm, {**values, "note": "x" * (NOTE_MAX + 1)})
    assert errors == {"note": NOTE_TOO_LONG}


def test_every_field_of_a_decision_is_answered_at_once():
    errors = _refused(DecisionForm, {"verdict": "valid", "reason": "other", "note": "a\x00b"})
    assert errors == {"reason": REASON_FITS, "note": UNSAFE}


# ---- a reversal, an unmasking ---------------------------------------------------------


def test_a_reversal_says_why_in_a_note_the_audit_log_can_keep():
    assert form_parse(ReversalForm, {"note": " The resident proved it "}).note == (
        "The resident proved it"
    )
    assert _refused(ReversalForm, {"note": " "}) == {"note": REVERSAL_REQUIRED}
    assert _refused(ReversalForm, {}) == {"note": REVERSAL_REQUIRED}
    assert _refused(ReversalForm, {"note": f"{SENTENCE}\x00"}) == {"note": UNSAFE}
    assert _refused(ReversalForm, {"note": "x" * (NOTE_MAX + 1)}) == {"note": NOTE_TOO_LONG}
    assert form_parse(ReversalForm, {"note": "x" * NOTE_MAX}).note == "x" * NOTE_MAX


def test_an_unmasking_reason_is_long_enough_and_refused_whole():
    enough = "x" * REASON_MIN
    assert form_parse(UnmaskForm, {"reason": f"  {enough}  "}).reason == enough
    for short in ("", "x" * (REASON_MIN - 1), " " * 40):
        assert _refused(UnmaskForm, {"reason": short}) == {"reason": UNMASK_REQUIRED}
    for hidden in HIDDEN:
        assert _refused(UnmaskForm, {"reason": SENTENCE + hidden}) == {"reason": UNSAFE}
    assert _refused(UnmaskForm, {"reason": "x" * (REASON_MAX + 1)}) == {"reason": TOO_LONG}
    assert form_parse(UnmaskForm, {"reason": "x" * REASON_MAX}).reason == "x" * REASON_MAX


# ---- an export's scope ------------------------------------------------------------------


def test_a_case_is_exported_with_a_legal_basis():
    typed = {"scope": "case", "case_id": " 7 ", "category": "police", "basis": BASIS}
    scope = scope_parse({**typed, "network": "not read", "since": "", "until": ""})
    assert scope == ExportScope("police", BASIS, case_id=7)


@pytest.mark.parametrize("case_id", ["", "0", "-1", "abc", "①", "٣", "2147483648", "9" * 5000])
def test_a_case_number_is_a_whole_number_an_id_can_be(case_id):
    values = {"scope": "case", "case_id": case_id, "category": "police", "basis": BASIS}
    assert _scope_refused(values) == {"case_id": CASE_NUMBER}


def test_the_legal_basis_is_chosen_and_stated_whole():
    case = {"scope": "case", "case_id": "1"}
    assert _scope_refused({**case, "basis": BASIS}) == {"category": CATEGORY}
    assert _scope_refused({**case, "category": "because", "basis": BASIS}) == {"category": CATEGORY}
    for short in ("", "police", "x" * (BASIS_MIN - 1)):
        errors = _scope_refused({**case, "category": "police", "basis": short})
        assert errors == {"basis": BASIS_REQUIRED}
    for hidden in HIDDEN:
        errors = _scope_refused({**case, "category": "police", "basis": BASIS + hidden})
        assert errors == {"basis": UNSAFE}
    errors = _scope_refused({**case, "category": "police", "basis": "x" * (BASIS_MAX + 1)})
    assert errors == {"basis": TOO_LONG}
    assert scope_parse({**case, "category": "police", "basis": "x" * BASIS_MAX}).basis == (
        "x" * BASIS_MAX
    )


def test_a_network_window_is_typed_in_polish_time_and_held_in_utc():
    """The console shows every time in Polish time, so the window is read in it too."""
    typed = {"scope": "network", "category": "court", "basis": BASIS, "case_id": "not read"}
    window = {"since": "31.05.2027 14:00", "until": "2027-05-31T18:00Z"}
    scope = scope_parse({**typed, **window, "network": " 203.0.113.7/24 "})
    typed["network"] = "203.0.113.7"
    assert scope.network == "203.0.113.0/24" and scope.case_id is None
    assert scope.since == datetime(2027, 5, 31, 12, tzinfo=UTC)  # no offset: CEST
    assert scope.until == datetime(2027, 5, 31, 18, tzinfo=UTC)
    winter = scope_parse({**typed, "since": "2027-01-15 14:00", "until": "15.01.2027 16:00"})
    assert (winter.since, winter.until) == (
        datetime(2027, 1, 15, 13, tzinfo=UTC),  # CET
        datetime(2027, 1, 15, 15, tzinfo=UTC),
    )
    # as the console shows a cast time, its zone naming the autumn's repeated hour
    shown = {"since": "31.10.2027, 02:30:05 CEST", "until": "31.10.2027, 02:30:05 CET"}
    fold = scope_parse({**typed, **shown})
    assert (fold.since, fold.until) == (
        datetime(2027, 10, 31, 0, 30, 5, tzinfo=UTC),
        datetime(2027, 10, 31, 1, 30, 5, tzinfo=UTC),
    )


def test_a_time_the_spring_clock_change_skips_is_refused_beside_its_field():
    typed = {"scope": "network", "category": "court", "basis": BASIS, "network": "203.0.113.7"}
    errors = _scope_refused({**typed, "since": "28.03.2027 02:30", "until": "28.03.2027 04:00"})
    assert errors == {"since": GAP}


def test_a_network_window_is_two_moments_in_order():
    base = {"category": "court", "basis": BASIS, "network": "203.0.113.7"}
    window = {"since": "2027-05-31 14:00", "until": "2027-05-31 16:00"}
    assert scope_parse({**base, **window}).network == "203.0.113.7/32"  # the default scope
    assert _scope_refused({**base, **window, "network": "203.0.113.300"}) == {"network": NETWORK}
    assert _scope_refused({**base, **window, "network": "a\x00b"}) == {"network": NETWORK}
    assert _scope_refused(base) == {"since": MOMENT, "until": MOMENT}
    for moment in ("31.05", "jutro", "2027-13-01 14:00", "0001-01-01T00:00+01:00"):
        assert _scope_refused({**base, **window, "since": moment}) == {"since": MOMENT}
    late = {**window, "since": "2027-05-31 16:00"}
    assert _scope_refused({**base, **late}) == {"until": UNTIL_AFTER}
    assert _scope_refused({**base, **late, "basis": ""}) == {
        "basis": BASIS_REQUIRED,
        "until": UNTIL_AFTER,
    }
