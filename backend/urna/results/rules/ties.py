"""Ordering of tied projects by a recorded public draw.

Three ways, in this order of precedence:

1. ``tie_order`` — the draw's result as entered by the office: a sequence of project ids,
   earlier = preferred. It must contain every project of every tie group that occurs;
   other ids are ignored, so one list can serve all tie groups of a pool.
2. ``tie_seed`` — an integer recorded at the draw. The order of a tie group is computed as::

       ids = sorted(group_ids)          # Python string order (code points)
       random.Random(f"{seed}:{','.join(ids)}").shuffle(ids)

   ``random.Random`` seeded with a ``str`` hashes it with SHA-512 (seeding version 2, stable
   since Python 3.2) and the Mersenne Twister shuffle is specified by the language, so anyone
   can repeat the computation with these two lines. Keying the generator by the group's ids
   makes each group's order independent of any other tie in the pool.
3. neither — ascending id (Python string order, the same as pabutools' lexicographic
   tie-breaking), and the tie group is marked `FALLBACK_ID` so the result says a draw is due.

An explicit order that misses a project of a tie group is refused (`TieDrawIncomplete`),
unless it is a `PartialDrawOrder`: then that group is left undecided, as if no draw had been
recorded (ascending id, `FALLBACK_ID`). An edition's draws are kept between computations and
a ballot decided later can widen a tie; the results service computes with a
`PartialDrawOrder` so that the draft names the new tie group and asks for a new draw.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Collection, Sequence

from urna.results.rules.types import TieMethod


class TieDrawError(ValueError):
    """The recorded draw cannot order the ties; ``project_ids`` names the projects at fault
    (none when both a seed and an order were given)."""

    def __init__(self, message: str, project_ids: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.project_ids = tuple(project_ids)


class TieDrawIncomplete(TieDrawError):
    """The explicit draw order does not cover every project of a tie group."""

    def __init__(self, missing: Sequence[str]) -> None:
        super().__init__(
            f"the draw order does not place the tied projects {', '.join(missing)}", missing
        )


class TieDrawRepeated(TieDrawError):
    """The explicit draw order lists a project more than once."""

    def __init__(self, repeated: Sequence[str]) -> None:
        super().__init__(
            f"tie_order lists a project more than once: {', '.join(repeated)}", repeated
        )


class PartialDrawOrder(tuple[str, ...]):
    """An explicit draw order that leaves a tie group it does not fully place undecided
    (ascending id, `TieMethod.FALLBACK_ID`) instead of refusing it (see the module docstring)."""

    __slots__ = ()


def seeded_order(*, project_ids: Collection[str], seed: int) -> tuple[str, ...]:
    """The order of one tie group computed from the draw seed (see the module docstring)."""
    ids = sorted(project_ids)
    random.Random(f"{seed}:{','.join(ids)}").shuffle(ids)
    return tuple(ids)


def tie_group_order(
    *,
    project_ids: Collection[str],
    tie_order: Sequence[str] | None = None,
    tie_seed: int | None = None,
) -> tuple[tuple[str, ...], TieMethod]:
    """Order the projects of one tie group; returns the order and how it was decided."""
    if tie_order is not None:
        position = {project_id: index for index, project_id in enumerate(tie_order)}
        missing = sorted(set(project_ids) - position.keys())
        if missing and isinstance(tie_order, PartialDrawOrder):
            return tuple(sorted(project_ids)), TieMethod.FALLBACK_ID
        if missing:
            raise TieDrawIncomplete(missing)
        return tuple(sorted(project_ids, key=position.__getitem__)), TieMethod.EXPLICIT
    if tie_seed is not None:
        return seeded_order(project_ids=project_ids, seed=tie_seed), TieMethod.SEED
    return tuple(sorted(project_ids)), TieMethod.FALLBACK_ID


def check_tie_arguments(*, tie_order: Sequence[str] | None, tie_seed: int | None) -> None:
    """Refuse ambiguous draw input: one recorded draw decides, never two."""
    if tie_order is not None and tie_seed is not None:
        raise TieDrawError("give either tie_order or tie_seed, not both")
    repeated = sorted(project_id for project_id, n in Counter(tie_order or ()).items() if n > 1)
    if repeated:
        raise TieDrawRepeated(repeated)
