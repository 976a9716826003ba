"""A signal's score: the order in which the verification team reads the cases, never a
decision. What raises or lowers it is said in the signal's evidence, as a verifier
would weigh it.

A signal's score is its kind's weight times ``1 + log2(n / floor)`` (1 at the floor, +1
for each doubling); for the kinds about time it is further raised when the group's
ballots came in one hour (``peak``) and with no history from the same key in the 14
days before (``prior``); for the kinds about one address or network, also when that
hour's ballots were a large share of the whole edition's in that hour — once that hour
holds enough ballots for a share to mean something (one ballot at night is all of it).

A group of one address or network whose ballots are mostly different choice sets over
a spread of time has the shape of a network many people share (a mobile operator's
address, a university's NAT): it is lowered to the part of it one actor at once could
be, the larger of its most common choice set and its busiest hour. The same choices or
a burst keep their weight. The browser string is not weighed: an office's desktop image
gives one string to many people, and a script rotates its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from urna.core.i18n import N_
from urna.fraud.kinds import Kind

# The edition's ballots in an hour below which a group's share of them raises no score.
HOUR_SHARE_MIN = 20
QUIET_HOUR = N_(
    "In that hour the edition had %(hour)s ballots in all, too few for their share to "
    "raise the score."
)
SHARED = N_(
    "Lower in the queue, as a network many people share: the most common choice set "
    "holds %(same)s of these %(n)s ballots and the busiest hour %(peak)s, so the score "
    "counts %(percent)s%% of its weight."
)


@dataclass(frozen=True)
class Scored:
    score: float
    notes: list[dict[str, Any]] = field(default_factory=list)  # [{"message", "params"}]


def strength(n: int, floor: int) -> float:
    return 1.0 + math.log2(max(n, 1) / max(floor, 1))


def timed_factor(*, n: int, peak: int, prior: int, share: float) -> float:
    """From 0.5 (spread out, with a history of its own) to 2.0 (all in one hour, no
    history, the whole edition's traffic in that hour)."""
    burst = peak / n if n else 0.0
    history = prior / (prior + peak) if prior + peak else 0.0
    return (0.75 + 0.5 * burst) * (1.0 - 0.5 * history) * (1.0 + 0.6 * min(share, 1.0))


def one_actor_part(row: dict[str, Any]) -> float:
    """The part of a group one actor at once could be: its most common choice set
    (``same``) or its busiest hour (``peak``), whichever holds more of its ballots."""
    n = int(row["n"])
    return min(max(int(row["same"]), int(row["peak"])) / n, 1.0) if n else 1.0


def kind_score(kind: Kind, row: dict[str, Any], *, hour: int = 0) -> Scored:
    """The score of a group of ``kind`` (``row``: its description by the scan) and the
    notes that say what lowered it; ``hour``: the whole edition's ballots in the group's
    busiest hour (for the kinds compared with the edition's traffic)."""
    notes = []
    share = 0.0
    if kind.traffic and hour >= HOUR_SHARE_MIN:
        share = row["peak"] / hour
    elif kind.traffic and "%(share)s" in kind.message:  # the share it shows did not count
        notes.append({"message": QUIET_HOUR, "params": {"hour": hour}})
    score = kind.weight * strength(row["n"], kind.floor)
    if kind.timed:
        score *= timed_factor(n=row["n"], peak=row["peak"], prior=row["prior"], share=share)
    if kind.traffic:
        part = one_actor_part(row)
        if part < 1.0:
            score *= part
            params = {name: int(row[name]) for name in ("same", "n", "peak")}
            notes.append({"message": SHARED, "params": params | {"percent": round(100 * part)}})
    return Scored(round(score, 3), notes)


def counted_score(weight: float, n: int, floor: int) -> float:
    """The score of a kind that only counts its group (dates of birth, a burst)."""
    return round(weight * strength(n, floor), 3)
