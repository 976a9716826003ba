"""How each pool picks its winners, checked against the edition and its other pools: the
thresholds in range, equal shares only with approval voting, and leftover money passed
to another pool of the edition without going round in a circle."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from urna.core.errors import FormInvalid
from urna.core.forms import TOO_LARGE
from urna.core.i18n import N_
from urna.editions.models import Pool
from urna.editions.schemas import MAX_COUNT, PoolIn, PoolRulesIn

EQUAL_SHARES_NEED_APPROVAL = N_(
    "The Method of Equal Shares works only with approval voting (one vote for each chosen "
    "project). Choose another rule, or change the edition's vote type first."
)
EQUAL_SHARES_NEED_APPROVAL_POOLS = N_(
    "Some pools use the Method of Equal Shares, which works only with approval voting. "
    "Change their rule first."
)


class PoolRules(PoolRulesIn):
    """A pool's rule settings with its code: what the checks below compare."""

    code: str

    @classmethod
    def of(cls, pool: PoolIn) -> PoolRules:
        return cls.model_validate(pool.model_dump(include={"code", *PoolRulesIn.model_fields}))


def pool_rules_errors(
    *, vote_type: str, pools: Sequence[PoolRules], changed: str | None = None
) -> dict[str, dict[str, str]]:
    """Mistakes in the rule settings of an edition's pools: pool code -> field -> message.

    ``pools`` are all the pools of the edition as they would be; with ``changed`` only
    that pool's settings are checked, against the others."""
    targets = {pool.code: pool.leftover_to for pool in pools}
    found: dict[str, dict[str, str]] = {}
    for pool in pools:
        if changed is not None and pool.code != changed:
            continue
        errors: dict[str, str] = {}
        if pool.min_votes is not None and pool.min_votes < 0:
            errors["min_votes"] = N_("The minimum number of votes cannot be below 0.")
        elif pool.min_votes is not None and pool.min_votes > MAX_COUNT:
            errors["min_votes"] = TOO_LARGE
        if pool.min_votes_percent is not None and not _percent_valid(pool.min_votes_percent):
            errors["min_votes_percent"] = N_(
                "Give the minimum share of the pool's voters as a number from 0 to 100, "
                "with at most two decimal places."
            )
        if pool.rule == "equal_shares" and vote_type != "approval":
            errors["rule"] = EQUAL_SHARES_NEED_APPROVAL
        if pool.leftover_to is not None:
            if pool.leftover_to == pool.code:
                errors["leftover_to"] = N_("A pool cannot pass its leftover money to itself.")
            elif pool.leftover_to not in targets:
                errors["leftover_to"] = N_(
                    "The pool that receives the leftover money must be another pool of this "
                    "edition."
                )
            elif _leftover_cycle(targets, pool.code):
                errors["leftover_to"] = N_(
                    "The leftover money would go round in a circle back to this pool. One pool "
                    "of the chain must keep its leftover money."
                )
        if errors:
            found[pool.code] = errors
    return found


def pool_rules_ensure_valid(
    *, vote_type: str, pools: Sequence[PoolRules], changed: str | None = None
) -> None:
    """``pool_rules_errors`` as a form error: the fields of the one pool that changed, or
    ``pools.<index>.<field>`` (as the import reports its other mistakes)."""
    found = pool_rules_errors(vote_type=vote_type, pools=pools, changed=changed)
    if not found:
        return
    if changed is not None:
        raise FormInvalid(found[changed])
    index = {pool.code: position for position, pool in enumerate(pools)}
    raise FormInvalid(
        {
            f"pools.{index[code]}.{field}": message
            for code, errors in found.items()
            for field, message in errors.items()
        }
    )


def _percent_valid(value: Decimal) -> bool:
    exponent = value.as_tuple().exponent
    return 0 <= value <= 100 and isinstance(exponent, int) and exponent >= -2


def _leftover_cycle(targets: Mapping[str, str | None], start: str) -> bool:
    """Whether following the leftover transfers from ``start`` comes back to it."""
    seen: set[str] = set()
    code = targets.get(start)
    while code is not None and code not in seen:
        if code == start:
            return True
        seen.add(code)
        code = targets.get(code)
    return False


def pools_as_rules(pools: Sequence[Pool]) -> list[PoolRules]:
    """The rule settings of stored pools (the leftover pool by its code)."""
    codes = {pool.id: pool.code for pool in pools}
    return [
        PoolRules(
            code=pool.code,
            rule=pool.rule,
            min_votes=pool.min_votes,
            min_votes_percent=pool.min_votes_percent,
            leftover_to=codes.get(pool.leftover_to_pool_id),
        )
        for pool in pools
    ]


def pool_id_of(pools: Sequence[Pool], code: str | None) -> int | None:
    return next((pool.id for pool in pools if pool.code == code), None) if code else None
