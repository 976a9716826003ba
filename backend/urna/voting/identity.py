"""Identity of a resident: normalisation and the pure rules the identity form relies on.

Keys for uniqueness are computed from values folded by ``core.text.text_fold`` so that
"Łukasz  Nowak" and "lukasz nowak" are the same person. The form itself is
``schemas.IdentityForm``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from datetime import date, datetime

from stdnum.pl import pesel as stdnum_pesel

from urna.core.text import text_fold

MAX_AGE = 120
AGE_BANDS = ((0, 12), (13, 17), (18, 24), (25, 34), (35, 44), (45, 54), (55, 64), (65, 200))
_SPACES = re.compile(r"\s+")
NAME_MARKS = "-\u2010'\u2019."  # hyphens, apostrophes, initials' dots
_MARKS_AS_SPACES = str.maketrans(dict.fromkeys(NAME_MARKS, " "))


def clean(text: str | None) -> str:
    return _SPACES.sub(" ", (text or "")).strip()


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


@functools.lru_cache(maxsize=256)  # an import asks for 90,000 ballots; ages are few
def age_band(age: int) -> str:
    for low, high in AGE_BANDS:
        if low <= age <= high:
            return f"{low}-{high}" if high < 200 else f"{low}+"
    return ""


# The full-width forms of ASCII (U+FF01-U+FF5E) and the ideographic space.
_FULL_WIDTH = {0xFF01 + i: 0x21 + i for i in range(0x5E)} | {0x3000: 0x20}


def ascii_forms(text: str) -> str:
    """Full-width digits, letters and marks (a CJK keyboard's, or pasted from a page set in
    them) as the ASCII they show: "１２Ａ" is "12A". Nothing else changes: circled digits or
    another script's stay, for the rules that take ASCII digits only to refuse."""
    return text.translate(_FULL_WIDTH)


# A house number as residents write it, once its spaces are dropped and its letters raised:
# the building — a number with a letter ("12A") or a corner building's two numbers ("12-14",
# "12–14") — then the flat after "/" or after "m." or "lok." (mieszkanie, lokal: "12 m. 3" is
# "12/3"). Both a "/" and an "m." ("4/6 m. 12"): a building numbered "4/6", flat 12.
_HOUSE = re.compile(
    r"(?P<building>[0-9]{1,4}(?:[A-Z]|-[0-9]{1,4})?)"
    r"(?:/(?P<part>[0-9]{1,4}[A-Z]?))?"
    r"(?:(?:M|LOK)\.?(?P<flat>[0-9]{1,4}[A-Z]?))?"
)
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2212", "-"))
_LEADING_ZEROS = re.compile(r"(?<![0-9])0+(?=[0-9])")


def house_number_normalise(typed: str) -> str | None:
    """A house number in one form, or None if it is not one: "12 m. 3", "12m3", "12 lok. 3"
    and "012/03" are "12/3" (one address, one identity key); "12–14" is "12-14"; "4/6 m. 12"
    is "4/6 m. 12". A form accepted before ("12A/3") is written as it was."""
    house = ascii_forms(typed).upper().translate(_DASHES)
    found = _HOUSE.fullmatch(_SPACES.sub("", house))
    if found is None:
        return None
    building, part, flat = found.group("building", "part", "flat")
    first, _, last = building.partition("-")
    if last and int(last) <= int(first):
        return None  # "14-12", or "12-3" meant as a flat: not a corner building's numbers
    house = building
    if part and flat:
        house += f"/{part} m. {flat}"
    elif part or flat:
        house += f"/{part or flat}"
    return _LEADING_ZEROS.sub("", house)


def building_number(house: str) -> int:
    """The number a register's ranges are read by: the first of the building's ("12A/3"
    and "12-14" are 12)."""
    return int(re.match(r"[0-9]+", house).group())


def parse_date(value: str) -> date | None:
    """A date as residents write it; in ASCII digits only (``strptime`` takes other
    scripts' digits too)."""
    value = clean(value)
    if not value.isascii():
        return None
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


def name_key(name: str) -> str:
    """A name as the identity key reads it: folded (``text_fold``), its hyphens, apostrophes
    and dots read as spaces ("Nowak-Kowalska", "Nowak Kowalska" and "Nowak." name the people
    "Nowak Kowalska" and "Nowak")."""
    return text_fold(name.translate(_MARKS_AS_SPACES))


def identity_key_material(fields: Mapping[str, str]) -> str:
    """The folded person (name, date of birth, address) hashed into the identity key."""
    parts = [
        name_key(fields.get("first_name", "")),
        name_key(fields.get("last_name", "")),
        fields.get("birth_date", ""),
        text_fold(fields.get("street", "")),
        fields.get("house_number", "").split("/")[0],
    ]
    return "|".join(parts)
