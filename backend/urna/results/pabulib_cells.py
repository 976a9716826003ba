"""Cells of a pabulib `.pb` file as values: numbers, lists of ids, points, ages.

The literal cell ``None`` (any case) marks a missing value, as in pabutools. Each conversion
raises `PabulibError` saying what is wrong; the parser (`pabulib`) adds where.

Amounts are złoty, exact to the grosz: ``100``, ``100,50``, ``100.5`` and, thousands apart by
a space, ``1 000 000``. One to three digits, a separator and three digits (``1,000``,
``100.000``) are refused: a thousand, or one? (``2500.000`` is 2500: a group of thousands
has three digits.) So is a fraction of a grosz (``0.0001``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from urna.core.money import GROSZE_PER_ZLOTY

_T = TypeVar("_T")
Amount = int | Decimal  # złoty: whole, or with grosze
MISSING = "none"
POINTS_MAX = 2**31 - 1  # ballot_choice.points is a 32-bit INTEGER
# Thousands apart by a space, as Polish writes them (a spreadsheet: a no-break space).
_GROUPED = re.compile(r"-?\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d+)?")
# 1,000 or 12.500: a thousand, or one? (2500.000 is not: a group has three digits)
_THREE_DECIMALS = re.compile(r"-?\d{1,3}[.,]\d{3}")
_GROSZ = Decimal("0.01")
_MOST_DIGITS = 30  # far above any amount or points Urna holds
META_NUMBERS = (
    "num_projects",
    "num_votes",
    "min_length",
    "max_length",
    "min_points",
    "max_points",
    "min_sum_points",
    "max_sum_points",
)
META_AMOUNTS = ("budget", "min_sum_cost", "max_sum_cost")


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


def meta_amount(meta: dict[str, str], key: str) -> Amount | None:
    """A META amount of money (``max_sum_cost``), or None if absent."""
    text = present(meta.get(key))
    return None if text is None else amount(text, f"META {key}")


def on_line(section: str, line: int, read: Callable[..., _T], *args: object) -> _T:
    """``read(*args)``, its refusal naming the line of the file it is about."""
    try:
        return read(*args)
    except PabulibError as error:
        raise PabulibError(f"{section} line {line}: {error}") from None


def meta_checked(meta: dict[str, str], lines: dict[str, int]) -> None:
    """Every META count and amount the file gives can be read; an amount's refusal names
    its line."""
    for key in META_NUMBERS:
        meta_number(meta, key)
    for key in META_AMOUNTS:
        if present(meta.get(key)) is not None:
            on_line("META", lines[key], amount, meta[key], key)


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
    """A whole number (points, a count); ``100,00`` and ``1 000`` are whole too."""
    number = _read(value, what)
    if number != int(number):
        raise PabulibError(f"{what} is not a whole number: {present(value)!r}")
    return int(number)


def amount(value: str | None, what: str) -> Amount:
    """Złoty, exact to the grosz: an int when whole, else a Decimal with two places. The
    database holds grosze, so anything finer would have to be rounded: it is refused."""
    number = _read(value, what)
    if number == int(number):
        return int(number)
    if number * GROSZE_PER_ZLOTY != int(number * GROSZE_PER_ZLOTY):
        text = present(value)
        raise PabulibError(f"{what} has a fraction of a grosz: {text!r} (at most 2 decimals)")
    return number.quantize(_GROSZ)


def _read(value: str | None, what: str) -> Amount:
    """The cell as an int (most cells: read fast), or else an exact finite Decimal."""
    text = present(value)
    if text is None:
        raise PabulibError(f"{what} is missing")
    try:
        return int(text)
    except ValueError:
        return _number(text, what)


def grosze(zloty: Amount) -> int:
    """An amount `amount` read, in grosze (exact: it has at most two decimals)."""
    return int(zloty * GROSZE_PER_ZLOTY)


def _number(text: str, what: str) -> Decimal:
    if _THREE_DECIMALS.fullmatch(text):  # pabutools reads 1,000 as 1
        raise PabulibError(f"{what} is ambiguous: {text!r} (thousands apart, or decimals?)")
    number = text.replace(",", ".")
    if _GROUPED.fullmatch(text):
        number = "".join(number.split())
    try:
        parsed = Decimal(number)
    except InvalidOperation:
        parsed = Decimal("NaN")
    if not parsed.is_finite():  # Decimal reads "inf" and "nan" too
        raise PabulibError(f"{what} is not a number: {text!r}")
    if parsed.adjusted() > _MOST_DIGITS:  # int() of 1e999999999 would fill the memory
        raise PabulibError(f"{what} is too large: {text!r}")
    return parsed


def selected_flag(text: str | None) -> bool | None:
    """pabulib's convention: 1 is selected (by the rule), 0 is not; its checker also allows
    2 and 3 (Poznań: funded by its 80% rule, outside the rule), which are not selected by
    the rule. pabutools reads no meaning into the column and refuses no value: nor does
    this; a value that is not the number 1 is not selected."""
    if text is None:
        return None
    try:
        return Decimal(text.replace(",", ".")) == 1  # 1.0: a data frame's float column
    except InvalidOperation:
        return False


def selected_as_written(cell: str | None) -> dict[str, str]:
    """A value other than 0 or 1 kept as written, so that a file written back holds it."""
    text = present(cell)
    return {} if text is None or text in ("0", "1") else {"selected": text}


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
