"""Identity of a resident: validation and normalisation (pure rules, no I/O).

Only the fields the edition requires are read. Keys for uniqueness are computed from
normalised values so that "Łukasz  Nowak" and "lukasz nowak" are the same person.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from stdnum.pl import pesel as stdnum_pesel

from urna.core.i18n import N_

MAX_AGE = 120
AGE_BANDS = ((0, 12), (13, 17), (18, 24), (25, 34), (35, 44), (45, 54), (55, 64), (65, 200))
_SPACES = re.compile(r"\s+")
_HOUSE = re.compile(r"^[0-9]{1,4}[A-Za-z]?(\s*/\s*[0-9]{1,4}[A-Za-z]?)?$")
_NAME = re.compile(r"^[^\d<>@\"\\;=]{1,80}$")
_TRANSLIT = str.maketrans({"ł": "l", "Ł": "l", "ß": "ss"})


def normalise(text: str) -> str:
    """Case-, space- and diacritic-insensitive form used only inside keyed hashes."""
    text = unicodedata.normalize("NFKD", text.translate(_TRANSLIT))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _SPACES.sub(" ", text).strip().casefold()


def clean(text: str | None) -> str:
    return _SPACES.sub(" ", (text or "")).strip()


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def age_band(age: int) -> str:
    for low, high in AGE_BANDS:
        if low <= age <= high:
            return f"{low}-{high}" if high < 200 else f"{low}+"
    return ""


def parse_date(value: str) -> date | None:
    value = clean(value)
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def pesel_birth_date(number: str) -> date | None:
    try:
        return stdnum_pesel.get_birth_date(number)
    except Exception:  # noqa: BLE001 - an impossible date inside a PESEL is just invalid
        return None


@dataclass
class Identity:
    """A validated identity: ``fields`` are the cleaned values to store encrypted."""

    fields: dict[str, str] = field(default_factory=dict)
    street: str | None = None
    birth_date: date | None = None
    phone: str | None = None
    email: str | None = None
    pesel: str | None = None
    age: int | None = None
    guardian_role: str | None = None

    @property
    def contact(self) -> str | None:
        return self.phone or self.email


@dataclass
class IdentityResult:
    identity: Identity
    errors: dict[str, str]


def identity_validate(
    form: dict[str, str], *, required: list[str], today: date, known_streets: set[str]
) -> IdentityResult:
    """Check the fields an edition requires; return cleaned values or messages per field.

    ``known_streets`` holds the normalised names of the municipal street register.
    """
    errors: dict[str, str] = {}
    identity = Identity()
    need = set(required)

    for name in ("first_name", "last_name"):
        if name in need:
            value = clean(form.get(name))
            if not value:
                errors[name] = N_("This field is required.")
            elif not _NAME.match(value):
                errors[name] = N_("Use letters only (spaces, hyphens and apostrophes allowed).")
            identity.fields[name] = value

    if "address" in need:
        street = clean(form.get("street"))
        house = clean(form.get("house_number")).upper().replace(" ", "")
        if not street:
            errors["street"] = N_("Choose your street from the list.")
        elif normalise(street) not in known_streets:
            errors["street"] = N_(
                "This street is not in the register of the municipality. Choose it from the list."
            )
        if not house:
            errors["house_number"] = N_("This field is required.")
        elif not _HOUSE.match(house):
            errors["house_number"] = N_("Give the house number, e.g. 12, 12A or 12/3.")
        identity.street = street
        identity.fields["street"] = street
        identity.fields["house_number"] = house

    if "birth_date" in need:
        raw = form.get("birth_date", "")
        born = parse_date(raw) if raw else None
        if not raw:
            errors["birth_date"] = N_("This field is required.")
        elif born is None:
            errors["birth_date"] = N_("Give the date as DD.MM.YYYY.")
        elif born > today:
            errors["birth_date"] = N_("The date of birth cannot be in the future.")
        elif age_on(born, today) > MAX_AGE:
            errors["birth_date"] = N_("Check the year of birth.")
        else:
            identity.birth_date = born
            identity.fields["birth_date"] = born.isoformat()

    if "pesel" in need:
        number = re.sub(r"\s", "", form.get("pesel", ""))
        if not number:
            errors["pesel"] = N_("This field is required.")
        elif not stdnum_pesel.is_valid(number):
            errors["pesel"] = N_("This PESEL number is not valid. Check the digits.")
        else:
            identity.pesel = number
            from_pesel = pesel_birth_date(number)
            if identity.birth_date and from_pesel and from_pesel != identity.birth_date:
                errors["birth_date"] = N_("The date of birth does not match the PESEL number.")
            identity.birth_date = identity.birth_date or from_pesel

    if "phone" in need:
        raw = clean(form.get("phone"))
        if not raw:
            errors["phone"] = N_("This field is required.")
        else:
            try:
                parsed = phonenumbers.parse(raw, "PL")
                valid = phonenumbers.is_valid_number(parsed)
            except phonenumbers.NumberParseException:
                valid = False
            if not valid:
                errors["phone"] = N_(
                    "This phone number is not valid. Give 9 digits, e.g. 600 100 200."
                )
            else:
                identity.phone = phonenumbers.format_number(
                    parsed, phonenumbers.PhoneNumberFormat.E164
                )
                identity.fields["phone"] = identity.phone

    if "email" in need:
        raw = clean(form.get("email"))
        if not raw:
            errors["email"] = N_("This field is required.")
        else:
            try:
                identity.email = validate_email(raw, check_deliverability=False).normalized.lower()
                identity.fields["email"] = identity.email
            except EmailNotValidError:
                errors["email"] = N_("This e-mail address is not valid.")

    if identity.birth_date is not None and "birth_date" not in errors:
        identity.age = age_on(identity.birth_date, today)
        _guardian_check(form, identity, errors)

    return IdentityResult(identity=identity, errors=errors)


def _guardian_check(form: dict[str, str], identity: Identity, errors: dict[str, str]) -> None:
    """Under 13 a parent or guardian votes on the child's behalf; 13–17 vote themselves
    with a guardian's consent. Both record the guardian's name and declaration."""
    age = identity.age or 0
    if age >= 18:
        return
    role = "on_behalf" if age < 13 else "consent"
    guardian = clean(form.get("guardian_name"))
    if not guardian:
        errors["guardian_name"] = N_("Give the name of the parent or legal guardian.")
    elif not _NAME.match(guardian):
        errors["guardian_name"] = N_("Use letters only (spaces, hyphens and apostrophes allowed).")
    if form.get("guardian_declaration") != role:
        errors["guardian_declaration"] = (
            N_("A parent or legal guardian must declare that they vote on the child's behalf.")
            if role == "on_behalf"
            else N_("Confirm that your parent or legal guardian agrees to your vote.")
        )
    identity.guardian_role = role
    identity.fields["guardian_name"] = guardian


def identity_key_material(identity: Identity) -> str:
    """The normalised person (name, date of birth, address) hashed into the identity key."""
    parts = [
        normalise(identity.fields.get("first_name", "")),
        normalise(identity.fields.get("last_name", "")),
        identity.fields.get("birth_date", ""),
        normalise(identity.fields.get("street", "")),
        identity.fields.get("house_number", "").split("/")[0],
    ]
    return "|".join(parts)
