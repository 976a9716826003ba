"""Allocation rules: pure functions from projects, scores and ballots to funded sets + step logs."""

from urna.results.rules.add_one import MAX_ADD1_RUNS, Add1NotSettled
from urna.results.rules.equal_shares import equal_shares_allocate
from urna.results.rules.greedy import greedy_allocate, minimum_score
from urna.results.rules.render import format_money, step_text, step_text_en, step_text_pl
from urna.results.rules.ties import (
    PartialDrawOrder,
    TieDrawError,
    TieDrawIncomplete,
    TieDrawRepeated,
    seeded_order,
    tie_group_order,
)
from urna.results.rules.transfers import Transfer, TransferOutcome, transfers_apply
from urna.results.rules.types import (
    Add1Start,
    Add1Stop,
    Allocation,
    Comparison,
    ComparisonResult,
    MesCompletion,
    MesOptions,
    MesOutcome,
    Project,
    Step,
    StepKind,
    TieGroup,
    TieMethod,
)

__all__ = [
    "MAX_ADD1_RUNS",
    "Add1NotSettled",
    "Add1Start",
    "Add1Stop",
    "Allocation",
    "Comparison",
    "ComparisonResult",
    "MesCompletion",
    "MesOptions",
    "MesOutcome",
    "PartialDrawOrder",
    "Project",
    "Step",
    "StepKind",
    "TieDrawError",
    "TieDrawIncomplete",
    "TieDrawRepeated",
    "TieGroup",
    "TieMethod",
    "Transfer",
    "TransferOutcome",
    "equal_shares_allocate",
    "format_money",
    "greedy_allocate",
    "minimum_score",
    "seeded_order",
    "step_text",
    "step_text_en",
    "step_text_pl",
    "tie_group_order",
    "transfers_apply",
]
