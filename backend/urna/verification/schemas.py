"""The verification team's forms as schemas (``core.forms``): a decision on ballots, its
reversal, and the reason to unmask a resident's identity. Each refused field gets one
message beside it; a note or a reason goes to the audit log, which keeps it forever, so a
control character or a text too long is refused whole, never cut.

The checks that compare fields read the verdict already validated (``info.data``): each
message stays beside its own field, and all of them are said at once."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator

from urna.core.forms import FormModel, form_error, required_when, text_within
from urna.core.i18n import N_
from urna.verification.models import REASONS, VERDICTS

NOTE_MAX = 2000  # characters of a decision's or a reversal's note
REASON_MIN = 10  # characters of a reason to unmask an identity
REASON_MAX = 1000  # as the form field allows
NOTE_TOO_LONG = N_("The note is too long (at most 2000 characters).")

Verdict = Literal[VERDICTS]  # type: ignore[valid-type]
Note = text_within(NOTE_MAX, too_long=NOTE_TOO_LONG)
UnmaskReason = Annotated[text_within(REASON_MAX), Field(min_length=REASON_MIN)]


class DecisionForm(FormModel):
    """A verdict, a reason category that goes with it, and a note (required to
    invalidate: what the decision rests on)."""

    messages = {"verdict": N_("Choose valid or invalid.")}

    verdict: Verdict
    reason: str = Field(default="", validate_default=True)
    note: Note = Field(default="", validate_default=True)

    @field_validator("reason")
    @classmethod
    def _fits_the_verdict(cls, reason: str, info: ValidationInfo) -> str:
        verdict = info.data.get("verdict")  # absent if refused: its own message says so
        if verdict is not None and (reason not in REASONS or REASONS[reason][0] != verdict):
            raise form_error(N_("Choose a reason category that fits the verdict."))
        return reason

    _said_to_invalidate = required_when(
        "note", on="verdict", values=frozenset({"invalid"}),
        message=N_("Say what the decision rests on."),
    )  # fmt: skip


class ReversalForm(FormModel):
    """Why a decision is withdrawn (or an invalidation awaiting confirmation rejected)."""

    messages = {"note": N_("Say why the decision is reversed.")}

    note: Note


class UnmaskForm(FormModel):
    """Why a verifier needs to see who cast a ballot."""

    messages = {"reason": N_("Say why you need to see who cast this ballot.")}

    reason: UnmaskReason
