"""Bar charts as geometry for inline SVG (no script, no style attribute): the request-log
statistics and the results' vote charts draw their bars from the same numbers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

BAR_HEIGHT, BAR_GAP, BAR_WIDTH = 22, 6, 400


class Measure(NamedTuple):
    """One bar's input: what it is, how much, and whether it adds up smaller groups."""

    label: str
    value: int
    folded: bool = False


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: float
    width: float
    folded: bool = False


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    height: int


def bar_chart(measures: Sequence[Measure]) -> BarChart:
    """Horizontal bars, one row each, the largest value ``BAR_WIDTH`` wide."""
    top = max((measure.value for measure in measures), default=0) or 1
    bars = [
        Bar(
            label=measure.label,
            value=measure.value,
            y=index * (BAR_HEIGHT + BAR_GAP),
            width=round(BAR_WIDTH * measure.value / top, 1),
            folded=measure.folded,
        )
        for index, measure in enumerate(measures)
    ]
    return BarChart(bars=bars, height=max(1, len(measures)) * (BAR_HEIGHT + BAR_GAP))
