"""Geometry for the console's inline SVG charts (drawn on the server, no script): a case's
timeline and the turnout columns. Horizontal bars reuse the request-log statistics'."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

LABEL_WIDTH, PLOT_WIDTH, ROW_HEIGHT, MAX_ROWS = 110, 600, 18, 200
COLUMNS_WIDTH, COLUMNS_HEIGHT = 720, 180


@dataclass(frozen=True)
class TimelineRow:
    ballot_id: int
    label: str
    y: float
    ticks: list[float]  # the session's requests
    first_x: float  # the session's span, from its first to its last request
    last_x: float
    cast_x: float


@dataclass(frozen=True)
class Timeline:
    rows: list[TimelineRow]
    width: int
    height: int
    start: datetime | None
    end: datetime | None
    left: int = LABEL_WIDTH


def timeline(cards: Sequence[Any]) -> Timeline:
    """One row per ballot (at most ``MAX_ROWS``): a tick for each request of its session
    and a mark where it was cast, on one time axis for the whole case."""
    cards = list(cards)[:MAX_ROWS]
    moments = [c.ballot.submitted_at for c in cards] + [
        r.arrived_at for c in cards for r in c.trail
    ]
    if not moments:
        return Timeline([], LABEL_WIDTH + PLOT_WIDTH, ROW_HEIGHT, None, None)
    start, end = min(moments), max(moments)
    span = (end - start).total_seconds() or 1.0

    def x(moment: datetime) -> float:
        return round(LABEL_WIDTH + PLOT_WIDTH * (moment - start).total_seconds() / span, 1)

    rows = []
    for i, card in enumerate(cards):
        ticks = [x(row.arrived_at) for row in card.trail]
        cast = x(card.ballot.submitted_at)
        rows.append(
            TimelineRow(
                ballot_id=card.ballot.id,
                label=f"#{card.ballot.id} {card.initials}",
                y=i * ROW_HEIGHT,
                ticks=ticks,
                first_x=min([cast, *ticks]),
                last_x=max([cast, *ticks]),
                cast_x=cast,
            )
        )
    return Timeline(rows, LABEL_WIDTH + PLOT_WIDTH, len(rows) * ROW_HEIGHT, start, end)


@dataclass(frozen=True)
class Column:
    label: str
    value: int
    x: float
    y: float
    height: float


@dataclass(frozen=True)
class Columns:
    columns: list[Column]
    column_width: float
    width: int
    height: int
    max_value: int


def columns(points: Sequence[tuple[str, int]]) -> Columns:
    """Vertical columns, one per (label, value), scaled to the largest."""
    top = max((value for _, value in points), default=0) or 1
    step = COLUMNS_WIDTH / max(1, len(points))
    shown = []
    for i, (label, value) in enumerate(points):
        height = round(COLUMNS_HEIGHT * value / top, 1)
        shown.append(Column(label, value, round(i * step, 1), COLUMNS_HEIGHT - height, height))
    return Columns(
        shown,
        round(max(1.0, step * 0.8), 1),
        COLUMNS_WIDTH,
        COLUMNS_HEIGHT,
        max((value for _, value in points), default=0),
    )
