"""Forms of the staff console: login, second factor, one's own password, and the
accounts of others. Each field refused gets one message (see ``core.forms``)."""

from __future__ import annotations

from typing import Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import Field, ValidationInfo, field_validator

from urna.core.forms import UNSAFE, FormModel, form_error
from urna.core.i18n import N_
from urna.core.text import text_unsafe

PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 1024
REASON_MAX_LENGTH = 1000
REQUIRED = N_("This field is required.")
EMAIL_INVALID = N_("This e-mail address is not valid.")
REASON_REQUIRED = N_("Give the reason; it is written to the audit log.")
ROLE_REQUIRED = N_("Choose a role.")
CODE_MALFORMED = N_("Enter the 6 digits the authenticator app shows.")

Role = Literal["admin", "verifier", "netadmin"]


def email_normalise(value: str) -> str:
    return validate_email(value.strip(), check_deliverability=False).normalized.lower()


def _collapsed(value: object) -> str:
    """One line, runs of spaces as one; refused if it hides control characters."""
    text = " ".join(str(value or "").split())
    if text_unsafe(text):
        raise form_error(UNSAFE)
    return text


class LoginIn(FormModel):
    """The first factor. The e-mail is kept as typed: an address that is no address is
    an unknown account, answered like a wrong password."""

    messages = {"email": REQUIRED, "password": REQUIRED}

    email: str = Field(min_length=1)
    password: str = Field(min_length=1)

    @field_validator("email", mode="before")
    @classmethod
    def _stripped(cls, value: object) -> object:
        return _collapsed(value) if isinstance(value, str) else value


class CodeIn(FormModel):
    """The 6 digits an authenticator app shows (spaces allowed, as apps group them)."""

    messages = {"code": CODE_MALFORMED}

    code: str

    @field_validator("code", mode="before")
    @classmethod
    def _digits(cls, value: object) -> str:
        digits = "".join(ch for ch in str(value or "") if ch in "0123456789")
        if len(digits) != 6:
            raise form_error(CODE_MALFORMED)
        return digits


class PasswordChangeIn(FormModel):
    messages = {"current_password": REQUIRED, "new_password": REQUIRED}

    current_password: str = Field(min_length=1)
    new_password: str
    repeat_password: str = ""

    @field_validator("new_password")
    @classmethod
    def _new_password(cls, value: str, info: ValidationInfo) -> str:
        if len(value) < PASSWORD_MIN_LENGTH:
            raise form_error(
                N_("The password must have at least %(min)s characters."), min=PASSWORD_MIN_LENGTH
            )
        if len(value) > PASSWORD_MAX_LENGTH:
            raise form_error(N_("The password is too long."))
        if value == info.data.get("current_password"):
            raise form_error(N_("Choose a password different from the current one."))
        return value

    @field_validator("repeat_password")
    @classmethod
    def _repeated(cls, value: str, info: ValidationInfo) -> str:
        new = info.data.get("new_password")
        if new is not None and value != new:
            raise form_error(N_("The passwords do not match."))
        return value


class ReasonIn(FormModel):
    """A change to another account: the reason goes to the audit log."""

    messages = {"reason": REASON_REQUIRED}

    reason: str

    @field_validator("reason", mode="before")
    @classmethod
    def _reason(cls, value: object) -> str:
        reason = _collapsed(value)[:REASON_MAX_LENGTH]
        if not reason:
            raise form_error(REASON_REQUIRED)
        return reason


class RoleChangeIn(ReasonIn):
    messages = {"reason": REASON_REQUIRED, "role": ROLE_REQUIRED}

    role: Role


class ActiveSetIn(ReasonIn):
    """``active`` is "1" to enable, anything else (the form sends "0") to disable."""

    active: bool = False

    @field_validator("active", mode="before")
    @classmethod
    def _flag(cls, value: object) -> bool:
        return value == "1"


class StaffCreateIn(FormModel):
    """A new account; the reason is optional here (the creation itself is the record)."""

    messages = {"email": EMAIL_INVALID, "role": ROLE_REQUIRED}  # a name: required, or too long

    email: str = Field(max_length=254)
    name: str = Field(min_length=1, max_length=200)
    role: Role
    reason: str = ""

    @field_validator("email", mode="before")
    @classmethod
    def _email(cls, value: object) -> str:
        try:
            return email_normalise(str(value or ""))
        except EmailNotValidError as error:
            raise form_error(EMAIL_INVALID) from error

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: object) -> str:
        return _collapsed(value)

    @field_validator("reason", mode="before")
    @classmethod
    def _reason(cls, value: object) -> str:
        return _collapsed(value)[:REASON_MAX_LENGTH]
