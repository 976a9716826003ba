"""Moving a pool's leftover money to another pool and recomputing the receiving pool.

A typical resolution: "money left in district pools is added to the city-wide pool". The
caller computes each pool first, then passes the transfers in the order the resolution
applies them and, for every receiving pool, a function that recomputes that pool with a given
budget (e.g. ``functools.partial(greedy_allocate, projects=..., threshold_votes=...)`` wrapped
as ``lambda budget: ...``), which keeps this module independent of the rule a pool uses.

Order of operations: transfers run in the given order. A receiving pool is recomputed with
``own budget + everything received`` once before it passes money on (so chains A -> B -> C
move B's leftover after B was recomputed) and once at the end. A pool that has already given
money away cannot receive any afterwards: its result was fixed when it gave, so the order in
the list would be wrong. Giving away leftover money never changes the giver's funded set.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from urna.results.rules.types import Allocation, Step, StepKind

Recompute = Callable[[int], Allocation]


@dataclass(frozen=True, slots=True)
class Transfer:
    source_pool: str
    target_pool: str
    amount: int | None = None  # None: all of the source's money left


@dataclass(frozen=True, slots=True)
class TransferOutcome:
    results: dict[str, Allocation]  # final result per pool
    given: dict[str, int]  # pool -> money it passed on (its leftover is money_left - given)
    received: dict[str, int]  # pool -> money it got
    steps: tuple[Step, ...]

    def leftover(self, pool_id: str) -> int:
        """Money of the pool neither spent nor passed on."""
        return self.results[pool_id].money_left - self.given.get(pool_id, 0)


def transfers_apply(
    *,
    results: Mapping[str, Allocation],
    transfers: Sequence[Transfer],
    recompute: Mapping[str, Recompute],
) -> TransferOutcome:
    """Apply ``transfers`` in order; see the module docstring."""
    base_budget = {pool_id: result.budget for pool_id, result in results.items()}
    current = dict(results)
    given: dict[str, int] = {}
    received: dict[str, int] = {}
    stale: set[str] = set()
    steps: list[Step] = []
    for transfer in transfers:
        _check(transfer, current, recompute, given)
        source, target = transfer.source_pool, transfer.target_pool
        if source in stale:
            current[source] = recompute[source](base_budget[source] + received[source])
            steps.append(_recomputed_step(current[source], source))
            stale.discard(source)
        available = current[source].money_left
        amount = available if transfer.amount is None else transfer.amount
        if not 0 <= amount <= available - given.get(source, 0):
            raise ValueError(
                f"pool {source} has {available - given.get(source, 0)} left, "
                f"cannot pass on {amount}"
            )
        given[source] = given.get(source, 0) + amount
        received[target] = received.get(target, 0) + amount
        steps.append(
            Step(
                kind=StepKind.TRANSFER_OUT,
                pool_id=source,
                other_pool_id=target,
                amount=amount,
                money_left=available - given[source],
            )
        )
        steps.append(
            Step(
                kind=StepKind.TRANSFER_IN,
                pool_id=target,
                other_pool_id=source,
                amount=amount,
                budget=base_budget[target] + received[target],
            )
        )
        if amount:
            stale.add(target)
    for pool_id in [pool for pool in current if pool in stale]:
        current[pool_id] = recompute[pool_id](base_budget[pool_id] + received[pool_id])
        steps.append(_recomputed_step(current[pool_id], pool_id))
    return TransferOutcome(results=current, given=given, received=received, steps=tuple(steps))


def _check(
    transfer: Transfer,
    current: Mapping[str, Allocation],
    recompute: Mapping[str, Recompute],
    given: Mapping[str, int],
) -> None:
    for pool_id in (transfer.source_pool, transfer.target_pool):
        if pool_id not in current:
            raise ValueError(f"no result for pool {pool_id}")
    if transfer.source_pool == transfer.target_pool:
        raise ValueError("a pool cannot pass money to itself")
    if transfer.target_pool not in recompute:
        raise ValueError(f"no way to recompute the receiving pool {transfer.target_pool}")
    if transfer.target_pool in given:
        raise ValueError(
            f"pool {transfer.target_pool} already passed its leftover on and cannot receive more"
        )


def _recomputed_step(result: Allocation, pool_id: str) -> Step:
    return Step(
        kind=StepKind.RECOMPUTED,
        pool_id=pool_id,
        budget=result.budget,
        spent=result.spent,
        funded_count=len(result.funded),
        money_left=result.money_left,
    )
