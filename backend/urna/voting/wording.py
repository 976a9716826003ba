"""A rule's message as each of its readers is told it: the resident voting online ("you
chose", "choose your street") and the operator typing someone else's paper ballot ("the
ballot marks", "the street written on the ballot"). The rules both channels share word
their messages so: the identity form's (``schemas``, read for ``IdentityRules.audience``)
and the choices' (``choices.choices_apply(audience=...)``)."""

from __future__ import annotations

from typing import Literal

Audience = Literal["resident", "operator"]


class Wording(str):
    """A message for both readers. It is the resident's msgid, so it goes wherever a
    message goes (a form's errors, a test's comparison) as it did before the operator had
    a wording; ``to(audience)`` gives the msgid for the one reading."""

    __slots__ = ("operator",)
    operator: str

    def __new__(cls, resident: str, operator: str) -> Wording:
        wording = super().__new__(cls, resident)
        wording.operator = operator
        return wording

    def __getnewargs__(self) -> tuple[str, str]:  # a copy keeps both wordings
        return str(self), self.operator

    def __repr__(self) -> str:
        return f"Wording({str(self)!r}, {self.operator!r})"

    @property
    def resident(self) -> str:
        return str(self)

    def to(self, audience: Audience) -> str:
        return self.operator if audience == "operator" else str(self)


def worded(message: str, audience: Audience) -> str:
    """``message`` as ``audience`` reads it: a plain msgid reads the same to both."""
    return message.to(audience) if isinstance(message, Wording) else message
