"""The forms of data-subject requests as schemas (``core.forms``): a resident's request,
and the office's answer. A text is refused whole (a control character, or more than
``REQUEST_TEXT_MAX`` characters), never cut; each refused field gets one message beside it.

Whether a text is required depends on the choice beside it: the check reads the choice
already validated (``info.data``), so that each message stays beside its own field."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from urna.core.forms import FormModel, Line, Text, required_when
from urna.core.i18n import N_
from urna.privacy.models import REQUEST_KINDS, REQUEST_STATES, REQUEST_TEXT_MAX

ANSWERED_STATES = ("done", "refused")  # the states the resident reads an answer in


def _one_paragraph(value: Any) -> Any:
    """Runs of spaces and line breaks as one space: the console shows one paragraph."""
    return " ".join(value.split()) if isinstance(value, str) else value


RequestKind = Literal[REQUEST_KINDS]  # type: ignore[valid-type]
RequestState = Literal[REQUEST_STATES]  # type: ignore[valid-type]
Paragraph = Annotated[Line, BeforeValidator(_one_paragraph), Field(max_length=REQUEST_TEXT_MAX)]
Answer = Annotated[Text, Field(max_length=REQUEST_TEXT_MAX)]


class RequestForm(FormModel):
    """What a resident asks for, and in their words what (required to rectify)."""

    messages = {"kind": N_("Choose what you are asking for.")}

    kind: RequestKind
    text: Paragraph = Field(default="", validate_default=True)

    _said_what_to_correct = required_when(
        "text", on="kind", values=frozenset({"rectification"}),
        message=N_("Write what should be corrected."),
    )  # fmt: skip


class AnswerForm(FormModel):
    """The request's new state, and the answer the resident reads (required to close it)."""

    messages = {"state": N_("Choose a state.")}

    state: RequestState
    answer: Answer = Field(default="", validate_default=True)

    _written_to_close = required_when(
        "answer", on="state", values=frozenset(ANSWERED_STATES),
        message=N_("Write the answer the resident will read."),
    )  # fmt: skip
