"""Which ties still waiting for their public draw decide what a pool funds.

A tie that no recorded draw orders is ordered by the project numbers for now
(`TieMethod.FALLBACK_ID`). Publishing such results is refused only when the order matters:
when another order of the tied projects would fund other projects. Read off the computed
step log, exactly, for the greedy rules (the pool's money ``m`` when the tie is reached is
in the log, and everything before the tie is fixed):

- greedy (a project that does not fit is skipped): only the tied projects that fit alone
  (cost ≤ ``m``) can be funded; if they all fit together, every order funds them all,
  otherwise putting any one of them first funds it, and some order leaves it out;
- greedy stopping at the first misfit: every order gives the same when all the tied
  projects fit together (all funded) or none fits alone (none, and the allocation stops).

Either way the money left after the tie, so every later step (and any leftover passed on
to another pool) is the same in every order. A tie reached after the allocation stopped
decides nothing.

The Method of Equal Shares cannot be read so: which project a tie puts first changes what
its supporters have left, and so every later round, the add-one loop, the completion and
the comparison step. Its pool is computed again, from what the computation reads
(`tally.RunInputs`), for every order of the tied projects (``ties_deciding``, when results
are published, whoever publishes them): up to ``MAX_ORDERS`` orders (four tied projects);
a larger tie counts as deciding, as does an order the method cannot settle."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import permutations
from math import factorial
from typing import Any

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from urna.editions.models import Edition
from urna.results import tally
from urna.results.models import TieDraw
from urna.results.rules import Add1NotSettled, StepKind, TieMethod
from urna.results.schemas import PoolResult, ResultsPayload, number_key

GREEDY_RULES = ("greedy", "greedy_stop")
MAX_ORDERS = 24  # every order of four tied projects; a larger tie counts as deciding
_PROJECT_STEPS = {
    StepKind.FUNDED,
    StepKind.SKIPPED_DOES_NOT_FIT,
    StepKind.STOPPED,
    StepKind.NOT_CONSIDERED,
}


def undrawn_ties(allocation: Mapping[str, Any]) -> list[list[str]]:
    """The ties of a pool's ``allocation`` (``Allocation.to_dict()``, as a run's payload
    keeps it) that wait for a draw, each as its projects' numbers (in number order), each
    once (equal shares may meet the same tie in several runs)."""
    found: dict[frozenset[str], list[str]] = {}
    for group in allocation.get("ties", ()):
        if group["method"] == TieMethod.FALLBACK_ID:
            ids = group["project_ids"]
            found.setdefault(frozenset(ids), sorted(ids, key=number_key))
    return list(found.values())


def funding_ties(allocation: Mapping[str, Any]) -> list[list[str]] | None:
    """The ties of a greedy pool's ``allocation`` that wait for a draw and whose order
    decides what the pool funds (see the module docstring); None when the step log cannot
    tell (equal shares with a tie waiting for its draw: ``ties_deciding`` computes it)."""
    undrawn = undrawn_ties(allocation)
    rule = allocation.get("rule")
    if rule not in GREEDY_RULES:
        return None if undrawn else []
    steps, stops = allocation["steps"], rule == "greedy_stop"
    return [numbers for numbers in undrawn if _greedy_order_matters(numbers, steps, stops)]


async def ties_deciding(
    *, session: AsyncSession, edition: Edition, payload: ResultsPayload
) -> list[tuple[PoolResult, list[str]]]:
    """(pool, the tied projects' numbers) of each tie of ``payload`` that waits for its
    draw and whose order decides what its pool funds: greedy pools from their step log;
    equal shares computed again for every order of the tie (in one worker thread), from
    what the computation reads (`tally.run_inputs_read`), read once and only if an
    equal-shares pool has such a tie."""
    known = {pool.code: funding_ties(pool.allocation) for pool in payload.pools}
    unknown = [pool for pool in payload.pools if known[pool.code] is None]
    if unknown:
        inputs = await tally.run_inputs_read(session=session, edition=edition)
        verdicts = await anyio.to_thread.run_sync(
            lambda: [_equal_shares_ties(inputs, pool) for pool in unknown]
        )
        known.update(zip([pool.code for pool in unknown], verdicts, strict=True))
    return [(pool, numbers) for pool in payload.pools for numbers in known[pool.code] or ()]


def _equal_shares_ties(inputs: tally.RunInputs, result: PoolResult) -> list[list[str]]:
    """The ties of the equal-shares pool ``result`` waiting for a draw whose order changes
    what the pool funds: its rule run again, from ``inputs``, for every order."""
    pool = inputs.pool(result.code)
    recorded = inputs.draws.get(pool.id)
    drawn = list(recorded.draw_order or []) if recorded is not None else []
    budget = result.allocation["budget"]

    def funded(order: Sequence[str]) -> frozenset[str]:
        # the order first, then what the recorded draw orders (a partial order: any other
        # tie stays as numbered, as in the run)
        draw = TieDraw(pool_id=pool.id, draw_order=[*order, *(n for n in drawn if n not in order)])
        return frozenset(inputs.allocator(pool, draw)(budget).funded)

    def order_matters(numbers: list[str]) -> bool:
        if factorial(len(numbers)) > MAX_ORDERS:
            return True
        try:
            return len({funded(order) for order in permutations(numbers)}) > 1
        except Add1NotSettled:
            return True

    return [numbers for numbers in undrawn_ties(result.allocation) if order_matters(numbers)]


def _greedy_order_matters(
    tied: Sequence[str], steps: Sequence[Mapping[str, Any]], stops: bool
) -> bool:
    """Whether another order of the ``tied`` projects would fund other projects (see the
    module docstring), from the greedy allocation's ``steps``."""
    members = [
        step
        for step in steps
        if step.get("project_id") in tied and StepKind(step["kind"]) in _PROJECT_STEPS
    ]
    if not members:  # not in the log: nothing to decide
        return False
    first = members[0]
    kind = StepKind(first["kind"])
    if kind is StepKind.NOT_CONSIDERED:  # the allocation stopped before the tie
        return False
    money = first["money_left"] + (first["cost"] if kind is StepKind.FUNDED else 0)
    costs = [step["cost"] for step in members]
    if stops:
        return not (sum(costs) <= money or min(costs) > money)
    return sum(cost for cost in costs if cost <= money) > money
