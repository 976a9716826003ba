"""The forms of the vote, parsed into typed values (the paper entry's own forms, built on
these, are in ``paper_ballot``).

Each field has its own validator and gets at most one message, a gettext msgid shown next
to it (Polish first). Every text field refuses control and invisible formatting characters
(NUL, direction overrides such as U+202E, zero-width joiners), which a person cannot see
and a name never holds. Forms read against an edition's rules get them as the validation
context (``IdentityRules``), with who reads the messages: a message that tells the resident
what to do ("choose your street") has the operator's wording of it too (``Wording``), for a
paper ballot typed by someone else.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import (
    BaseModel,
    ConfigDict,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from stdnum.pl import pesel as stdnum_pesel

from urna.core.forms import form_error, form_parse
from urna.core.i18n import N_
from urna.editions.service import RegisterStreet
from urna.voting.address import NOT_IN_REGISTER as NOT_IN_REGISTER
from urna.voting.address import NOT_ON_STREET as NOT_ON_STREET
from urna.voting.address import STREET_MISSING, address_area, house_read, street_read
from urna.voting.identity import (
    MAX_AGE,
    NAME_MARKS,
    age_on,
    ascii_forms,
    clean,
    parse_date,
    pesel_birth_date,
)
from urna.voting.receipts import RECEIPT_ALPHABET, RECEIPT_LENGTH, receipt_normalise
from urna.voting.wording import Audience, Wording, worded

MAX_PROJECT_ID = 2**31 - 1  # project ids are INTEGER
_HIDDEN = {"Cc", "Cf", "Cs", "Co", "Cn"}  # control, format, surrogate, private, unassigned
_LAYOUT = set("\t\n\r")  # collapsed into spaces by ``clean``
_NAME_MARKS = set(" " + NAME_MARKS)
_CODE = re.compile(r"^[0-9]{6}$")
REQUIRED = N_("This field is required.")
INVALID = N_("This value is not valid.")
UNSAFE = N_(
    "This text contains invisible control characters. Type it again, or paste it as plain text."
)
STORED_FIELDS = {
    "first_name", "last_name", "street", "house_number", "birth_date", "phone", "email",
    "guardian_name",
}  # fmt: skip
# Each worded for the resident, and for the operator typing someone else's paper ballot
# (the address's: ``address``).
CONSENT_MISSING = Wording(
    N_("Confirm that your parent or legal guardian agrees to your vote."),
    N_("Mark the declaration that the parent or legal guardian agrees to the vote."),
)
LETTERS_ONLY = N_("Use letters only (spaces, hyphens and apostrophes allowed).")
NOT_MOBILE = Wording(
    N_(
        "This is not a mobile phone number. The code is sent by SMS: give a mobile number, "
        "e.g. 600 100 200."
    ),
    N_(
        "The phone number on the ballot is not a mobile number, and this edition asks "
        "for a mobile one."
    ),
)
# Abroad some plans cannot tell a mobile from a landline (FIXED_LINE_OR_MOBILE): accepted.
_MOBILE = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


def text(value: Any, *, limit: int, missing: str | None = None) -> str:
    """A typed value with its spaces collapsed; refused if it hides characters, and with
    the message ``missing`` if it is empty."""
    if not isinstance(value, str | None):
        raise form_error(INVALID)
    if any(unicodedata.category(ch) in _HIDDEN for ch in value or "" if ch not in _LAYOUT):
        raise form_error(UNSAFE)
    value = clean(value)
    if len(value) > limit:
        raise form_error(N_("This value is too long."))
    if missing and not value:
        raise form_error(missing)
    return value


def person_name(value: Any) -> str:
    """A first, last or guardian's name: letters of any alphabet, with their accents."""
    name = text(value, limit=80)
    if name and not (
        any(ch.isalpha() for ch in name)
        and all(ch.isalpha() or unicodedata.combining(ch) or ch in _NAME_MARKS for ch in name)
    ):
        raise form_error(LETTERS_ONLY)
    return name


class FormModel(BaseModel):
    # Missing fields are validated too (their validators say "required"); other fields of
    # the posted form (the CSRF token, buttons) are not read.
    model_config = ConfigDict(extra="ignore", validate_default=True)


# ---- identity -----------------------------------------------------------------------


@dataclass(frozen=True)
class IdentityRules:
    """What an identity is checked against: the edition's required fields (``address``
    stands for street and house number), the day ages are counted on, and the municipal
    street register (normalised name → its area, or a split street's ranges); and who
    reads the messages, the resident or the operator typing a paper ballot (``Wording``).
    ``held_role``: a correction's
    guardian role as declared at the vote, which stands when the form tells no age (a
    PESEL edition without a date of birth, its PESEL not typed again)."""

    required: frozenset[str]
    today: date
    streets: Mapping[str, RegisterStreet]  # the register by folded name (text_fold)
    audience: Audience = "resident"
    held_role: str | None = None


def _read_name(typed: str, info: ValidationInfo) -> str:
    return person_name(typed)


def _read_pesel(typed: str, info: ValidationInfo) -> str:
    # The digits alone (stdnum's compact: no spaces, no dashes): "850304-12345" is the
    # same number as "85030412345", so it keys the same voter.
    number = stdnum_pesel.compact(ascii_forms(typed))
    if not (number.isascii() and number.isdigit() and stdnum_pesel.is_valid(number)):
        raise form_error(N_("This PESEL number is not valid. Check the digits."))
    born = pesel_birth_date(number)
    if born is None or born > info.context.today or age_on(born, info.context.today) > MAX_AGE:
        raise form_error(N_("This PESEL number gives a date of birth that is not possible."))
    return number


def _read_birth(typed: str, info: ValidationInfo) -> date:
    born, today = parse_date(typed), info.context.today
    if born is None:
        raise form_error(N_("Give the date as DD.MM.YYYY."))
    if born > today:
        raise form_error(N_("The date of birth cannot be in the future."))
    if age_on(born, today) > MAX_AGE:
        raise form_error(N_("Check the year of birth."))
    number = info.data.get("pesel")  # validated before the date, which must agree with it
    from_pesel = pesel_birth_date(number) if number else None
    if from_pesel is not None and from_pesel != born:
        raise form_error(N_("The date of birth does not match the PESEL number."))
    return born


def _read_phone(typed: str, info: ValidationInfo) -> str:
    """A mobile number: the one-time code (and later the code of /my-data) goes by SMS.
    Its type is the numbering plan's, as ``phonenumbers`` keeps it: a landline (22 … in
    Warsaw, 58 … in Gdańsk), a pager or a premium-rate number is refused."""
    try:
        number = phonenumbers.parse(typed, "PL")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise form_error(N_("This phone number is not valid. Give 9 digits, e.g. 600 100 200."))
    if phonenumbers.number_type(number) not in _MOBILE:
        raise form_error(NOT_MOBILE.to(info.context.audience))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _read_email(typed: str, info: ValidationInfo) -> str:
    try:
        return validate_email(typed, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise form_error(N_("This e-mail address is not valid.")) from None


@dataclass(frozen=True)
class _Asked:
    """How a field the edition may ask for is read: its rule (``read``), its longest text,
    the edition's field that asks for it, and what to say when it is asked and empty."""

    read: Callable[[str, ValidationInfo], Any]
    limit: int
    asked_as: str = ""
    missing: str = REQUIRED  # a Wording words it for each reader


_ASKED = {
    "first_name": _Asked(_read_name, 80),
    "last_name": _Asked(_read_name, 80),
    "street": _Asked(street_read, 200, "address", STREET_MISSING),
    "house_number": _Asked(house_read, 20, "address"),
    "pesel": _Asked(_read_pesel, 40),
    "birth_date": _Asked(_read_birth, 40),
    "phone": _Asked(_read_phone, 40),
    "email": _Asked(_read_email, 254),
}


def _minor_role(info: ValidationInfo) -> str | None:
    """Under 13 a parent or guardian votes on the child's behalf; 13–17 vote themselves
    with a guardian's consent. Known once the date of birth (typed, or read from the PESEL
    number) has passed its own checks."""
    if "birth_date" in info.context.required and "birth_date" not in info.data:
        return None
    number = info.data.get("pesel")
    born = info.data.get("birth_date") or (pesel_birth_date(number) if number else None)
    if born is None:
        return info.context.held_role
    age = age_on(born, info.context.today)
    if age >= 18:
        return None
    return "on_behalf" if age < 13 else "consent"


class IdentityForm(FormModel):
    """A resident's identity: only the fields the edition requires are read. The PESEL
    number comes before the date of birth, which must agree with it; the guardian's fields
    come last, read only for a minor."""

    first_name: str | None = None
    last_name: str | None = None
    street: str | None = None
    house_number: str | None = None
    pesel: str | None = None
    birth_date: date | None = None
    phone: str | None = None
    email: str | None = None
    guardian_name: str | None = None
    guardian_declaration: str | None = None  # the guardian's role, once validated
    _age: int | None = PrivateAttr(default=None)
    _area_id: int | None = PrivateAttr(default=None)

    @field_validator(*_ASKED, mode="before")
    @classmethod
    def _asked(cls, value: Any, info: ValidationInfo) -> Any:
        """A field the edition asks for, read by its own rule; None when it does not ask."""
        asked, rules = _ASKED[info.field_name], info.context
        if (asked.asked_as or info.field_name) not in rules.required:
            return None
        missing = worded(asked.missing, rules.audience)
        return asked.read(text(value, limit=asked.limit, missing=missing), info)

    @field_validator("guardian_name", mode="before")
    @classmethod
    def _guardian_name(cls, value: Any, info: ValidationInfo) -> str | None:
        if _minor_role(info) is None:
            return None
        return person_name(
            text(value, limit=80, missing=N_("Give the name of the parent or legal guardian."))
        )

    @field_validator("guardian_declaration", mode="before")
    @classmethod
    def _guardian_role(cls, value: Any, info: ValidationInfo) -> str | None:
        role = _minor_role(info)
        if role is not None and value != role:
            raise form_error(
                N_("A parent or legal guardian must declare that they vote on the child's behalf.")
                if role == "on_behalf"
                else CONSENT_MISSING.to(info.context.audience)
            )
        return role

    @model_validator(mode="after")
    def _derived(self, info: ValidationInfo) -> IdentityForm:
        rules: IdentityRules = info.context
        born = self.born
        self._age = age_on(born, rules.today) if born is not None else None
        self._area_id = address_area(rules.streets, self.street, self.house_number)
        return self

    @property
    def born(self) -> date | None:
        """The date of birth, typed or read from the PESEL number."""
        return self.birth_date or (pesel_birth_date(self.pesel) if self.pesel else None)

    @property
    def age(self) -> int | None:
        return self._age

    @property
    def area_id(self) -> int | None:
        """The area of the street (of a split street: of the house number's range), from
        the register."""
        return self._area_id

    @property
    def guardian_role(self) -> str | None:
        return self.guardian_declaration

    @property
    def contact(self) -> str | None:
        return self.phone or self.email

    @property
    def fields(self) -> dict[str, str]:
        """The values stored, encrypted, with the ballot (a PESEL only as a keyed hash)."""
        return self.model_dump(mode="json", include=STORED_FIELDS, exclude_none=True)


# ---- choices, code, receipt ---------------------------------------------------------


def project_id(value: Any) -> int | None:
    """A project id as a ticked box sends it: ASCII digits within the id range."""
    if not (isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 12):
        return None
    number = int(value)
    return number if 0 < number <= MAX_PROJECT_ID else None


class ChoicesForm(FormModel):
    choices: list[int]

    @field_validator("choices", mode="before")
    @classmethod
    def _projects(cls, value: Any) -> list[int]:
        ids = [project_id(item) for item in (value or [])]
        if None in ids:
            raise form_error(N_("Choose the projects from the list on this page."))
        return list(dict.fromkeys(ids))


# The ticked boxes as a form sends them (``project``, repeated): the OpenAPI document's.
PROJECT_BOXES = {
    "type": "array",
    "items": {"type": "integer", "minimum": 1, "maximum": MAX_PROJECT_ID},
}


def choices_parse(picked: Iterable[str]) -> list[int]:
    """The ticked projects' ids; ``FormInvalid`` (field ``choices``) on anything else."""
    return form_parse(ChoicesForm, {"choices": list(picked)}).choices


class CodeForm(FormModel):
    code: str

    @field_validator("code", mode="before")
    @classmethod
    def _code(cls, value: Any) -> str:
        code = ascii_forms(text(value, limit=20)).replace(" ", "").replace("-", "")
        if not _CODE.match(code):
            raise form_error(N_("The code has 6 digits. Copy it from the message."))
        return code


class ReceiptForm(FormModel):
    code: str

    @field_validator("code", mode="before")
    @classmethod
    def _code(cls, value: Any) -> str:
        code = receipt_normalise(ascii_forms(text(value, limit=40)))
        if len(code) != RECEIPT_LENGTH or set(code) - set(RECEIPT_ALPHABET):
            raise form_error(N_("A receipt code has 12 characters, e.g. 7K3M-Q9TX-2B4D."))
        return code
