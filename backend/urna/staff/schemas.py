"""Forms of the staff console."""

from __future__ import annotations

from typing import Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, Field, field_validator

PASSWORD_MIN_LENGTH = 12


def email_normalise(value: str) -> str:
    return validate_email(value.strip(), check_deliverability=False).normalized.lower()


class StaffCreateIn(BaseModel):
    email: str = Field(max_length=254)
    name: str = Field(min_length=1, max_length=200)
    role: Literal["admin", "verifier", "netadmin"]

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        try:
            return email_normalise(value)
        except EmailNotValidError as error:
            raise ValueError("invalid e-mail address") from error

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("required")
        return value
