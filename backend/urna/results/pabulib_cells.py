"""Cells of a pabulib `.pb` file as values: numbers, lists of ids, points, ages.

The literal cell ``None`` (any case) marks a missing value, as in pabutools. Each conversion
raises `PabulibError` saying what is wrong; the parser (`pabulib`) adds where.

Amounts are whole: ``100``, ``100,00``, ``100.0`` and, thousands apart by a space,
``1 000 000``. Three digits after one separator (``1,000``, ``100.000``) are refused: a
thousand, or one?
"""

from __future__ import annotations

import math
import re

MISSING = "none"
POINTS_MAX = 2**31 - 1  # ballot_choice.points is a 32-bit INTEGER
# Thousands apart by a space, as Polish writes them (a spreadsheet: a no-break space).
_GROUPED = re.compile(r"-?\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d+)?")
_THREE_DECIMALS = re.compile(r"-?\d+[.,]\d{3}")  # 1,000: a thousand, or one?


class PabulibError(ValueError):
    """The file is not valid pabulib, or uses a feature this module does not handle."""


def meta_number(meta: dict[str, str], key: str) -> int | None:
    """A META count or limit (``max_length``…): a whole number from 0 up, or None if absent."""
    text = present(meta.get(key))
    if text is None:
        return None
    if not (text.isascii() and text.isdigit()):
        raise PabulibError(f"META {key} is not a whole number: {text!r}")
    return int(text)


def meta_amount(meta: dict[str, str], key: str) -> int | None:
    """A META amount of money (``max_sum_cost``), or None if absent."""
    text = present(meta.get(key))
    return None if text is None else integer(text, f"META {key}")


def present(value: str | None) -> str | None:
    """The stripped cell, or None when it is empty or the literal ``None``."""
    if value is None:
        return None
    # Hot path (90k ballots in one file): most cells need neither stripping nor checking.
    if value and value[0] not in " \tNn" and value[-1] not in " \t":
        return value
    value = value.strip()
    return None if not value or value.lower() == MISSING else value


def integer(value: str | None, what: str) -> int:
    text = present(value)
    if text is None:
        raise PabulibError(f"{what} is missing")
    try:
        return int(text)
    except ValueError:
        pass
    if _THREE_DECIMALS.fullmatch(text):  # pabutools reads 1,000 as 1
        raise PabulibError(f"{what} is ambiguous: {text!r} (thousands apart, or decimals?)")
    number = text.replace(",", ".")
    if _GROUPED.fullmatch(text):
        number = "".join(number.split())
    try:
        as_float = float(number)
    except ValueError:
        as_float = math.nan
    if not math.isfinite(as_float):  # float() reads "inf" and "nan" too
        raise PabulibError(f"{what} is not a number: {text!r}")
    if as_float != int(as_float):
        # Money is an integer unit throughout Urna; a fractional cost would need a
        # decision on rounding that belongs to the office, not to the parser.
        raise PabulibError(f"{what} is not a whole amount: {text!r}")
    return int(as_float)


def id_list(cell: str) -> tuple[str, ...]:
    text = present(cell)
    if text is None:
        return ()
    parts = text.split(",")
    if " " in text or "" in parts:
        return tuple(part.strip() for part in parts if part.strip())
    return tuple(parts)


def points_list(cell: str) -> tuple[int, ...] | None:
    text = present(cell)
    if text is None:
        return None
    points = tuple(integer(part, "points") for part in text.split(",") if part.strip())
    if any(not -POINTS_MAX - 1 <= number <= POINTS_MAX for number in points):
        raise PabulibError(f"points {text!r} are out of range (at most {POINTS_MAX})")
    return points


def age(cell: str) -> int | None:
    text = present(cell)
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        pass
    whole, _, decimals = text.replace(",", ".").partition(".")
    if not (whole.isascii() and whole.isdigit() and decimals.strip("0") == ""):
        raise PabulibError(f"age is not a whole number: {text!r}")
    return int(whole)  # 34.0: a data frame's integer column with missing cells
