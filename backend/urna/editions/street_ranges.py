"""A street split between areas by house numbers, as municipal registers split them: "ul.
Długa 1–49 → Śródmieście, 50 and above → Północ", or by side (odd numbers one district,
even the other). Each part is a range: its first number, its last (None: and above) and
its side (``all``, ``odd``, ``even``). A street of one area has no ranges.

The rules here are pure: what a range covers, and what a register's ranges of one street
may not do — overlap (a house in two areas) or leave a gap between them (a house in none;
numbers before a street's first range or after its last are simply not in the register).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

SIDES = ("all", "odd", "even")
# How a register or a spreadsheet writes a side: in English or in Polish, empty for all.
SIDE_WORDS = {
    "": "all", "all": "all", "wszystkie": "all",
    "odd": "odd", "nieparzyste": "odd", "np": "odd",
    "even": "even", "parzyste": "even", "p": "even",
}  # fmt: skip
_PARITIES = {"all": (0, 1), "odd": (1,), "even": (0,)}


class Span(Protocol):
    number_from: int
    number_to: int | None
    side: str


class HouseRange(NamedTuple):
    """A part of a street in the register as the vote reads it: its numbers and its area."""

    number_from: int
    number_to: int | None
    side: str
    area_id: int


def range_covers(span: Span, number: int) -> bool:
    return (
        span.number_from <= number
        and (span.number_to is None or number <= span.number_to)
        and number % 2 in _PARITIES[span.side]
    )


def _first_of(parity: int, low: int) -> int:
    """The first number of ``parity`` from ``low`` on."""
    return low if low % 2 == parity else low + 1


def _last_of(parity: int, high: int | None) -> int | None:
    return high if high is None or high % 2 == parity else high - 1


def ranges_overlap(one: Span, other: Span) -> bool:
    """Some house number is in both."""
    low = max(one.number_from, other.number_from)
    ends = [end for end in (one.number_to, other.number_to) if end is not None]
    high = min(ends) if ends else None
    shared = set(_PARITIES[one.side]) & set(_PARITIES[other.side])
    return any(high is None or _first_of(parity, low) <= high for parity in shared)


@dataclass(frozen=True)
class RangeProblem:
    """A range (by its index in the rows given) that overlaps the range ``other``, or
    (``gap_from`` set) begins after a gap that follows ``other``."""

    index: int
    other: int
    gap_from: int | None = None


def ranges_problems(spans: Sequence[Span]) -> list[RangeProblem]:
    """The ranges of one street that overlap an earlier one; if none do, those that leave a
    gap after another on the same side."""
    overlaps = []
    for index, span in enumerate(spans):
        earlier = next((e for e in range(index) if ranges_overlap(spans[e], span)), None)
        if earlier is not None:
            overlaps.append(RangeProblem(index, earlier))
    if overlaps:
        return overlaps
    gaps: dict[int, RangeProblem] = {}
    for parity in (0, 1):
        # each range's first and last number of this parity, in order of the first
        held = sorted(
            (_first_of(parity, span.number_from), _last_of(parity, span.number_to), index)
            for index, span in enumerate(spans)
            if parity in _PARITIES[span.side]
        )
        reach, before = held[0][1:] if held else (None, 0)  # the highest number so far
        for start, end, index in held[1:]:
            if reach is None:
                break  # "and above": nothing after it is a gap
            if start > reach + 2 and index not in gaps:
                gaps[index] = RangeProblem(index, before, gap_from=reach + 2)
            if end is None or end > reach:
                reach, before = end, index
    return sorted(gaps.values(), key=lambda problem: problem.index)


def range_area(ranges: Sequence[HouseRange], number: int) -> int | None:
    """The area of house ``number`` on a split street, None if no range covers it."""
    return next((part.area_id for part in ranges if range_covers(part, number)), None)
