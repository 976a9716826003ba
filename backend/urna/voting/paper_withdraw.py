"""A counted paper sheet typed wrongly, withdrawn before the results are published.

A sheet typed wrongly (another person's name, a box misread) and counted cannot be settled
as a sheet waiting is (``paper_points.paper_sheet_void``): its ballot counts, and its
person's keys hold the one ballot a person has in the edition, so the right typing would be
refused as a second vote. An admin withdraws it, with a reason (audited): every typing of
the sheet and its ballot are ``withdrawn`` — kept as evidence, never counted again (a CHECK
of the ballot table keeps it so, whoever writes its status later) — and its voter's keys
released, so the sheet is typed again under its number, for the same person. Until it is,
the publication waits (``paper_sheets.paper_withdrawn_blocker``); once the results are
published nothing is withdrawn: they are final. A sheet in conflict (its person had voted
already) is withdrawn the same way, without a ballot. Only a paper ballot is withdrawn: an
online one has no sheet, and the ballot's channel is checked besides. A ballot the
verification team holds (in a case, or decided) is theirs to decide, not withdrawn here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.context import BallotReviewed, ResultsPublished
from urna.core.errors import AppError
from urna.core.i18n import N_
from urna.editions.service import EditionSnapshot
from urna.voting import paper_repository
from urna.voting.models import PaperEntry
from urna.voting.paper_ballot import sheet_number
from urna.voting.paper_points import paper_sheet_settle

WITHDRAWABLE = ("counted", "conflict")
RESULTS_FINAL = N_(
    "The results of this edition have been published and are final: a paper sheet can no "
    "longer be withdrawn."
)


class NotWithdrawable(AppError):
    status_code = 409
    message = N_(
        "This sheet cannot be withdrawn: only a counted paper sheet (or one in conflict) is "
        "withdrawn here. A sheet still waiting for an entry is recorded as invalid instead."
    )


class BallotReviewedRefused(AppError):
    status_code = 409
    message = N_(
        "The verification team holds this sheet's ballot (a case or a decision): it is "
        "theirs to decide, and it cannot be withdrawn here."
    )


async def paper_sheet_find(
    *, session: AsyncSession, edition_id: int, typed: str
) -> PaperEntry | None:
    """The sheet typed in under this number, however it is typed now or was stored."""
    typed = " ".join(typed.split())[:40]
    spellings = {sheet_number(typed), typed.upper(), typed}
    return await paper_repository.paper_sheet_live(session, edition_id, sorted(spellings))


async def paper_sheet_withdraw(
    *,
    session: AsyncSession,
    snapshot: EditionSnapshot,
    operator_id: int,
    entry_id: int,
    form: Mapping[str, str],
    published: ResultsPublished,
    reviewed: BallotReviewed,
) -> PaperEntry:
    """Withdraw the counted sheet whose first entry is ``entry_id``, with the reason."""

    async def withdraw(first: PaperEntry, reason: str) -> dict[str, Any]:
        ballot = None
        if first.ballot_id is not None:
            ballot = await paper_repository.ballot_get(session, first.ballot_id)
            if ballot is None or ballot.channel != "paper":
                raise NotWithdrawable()
            if ballot.status != "counted" or await reviewed(session, ballot.id):
                raise BallotReviewedRefused()
        was = first.status
        await paper_repository.paper_sheet_withdraw(session, first, reason, ballot)
        return {"was": was, "ballot_id": ballot.id if ballot else None}

    return await paper_sheet_settle(
        session=session,
        snapshot=snapshot, operator_id=operator_id, entry_id=entry_id, form=form,
        published=published,
        statuses=WITHDRAWABLE, refused=NotWithdrawable, action="paper.withdraw",
        settle=withdraw, out=RESULTS_FINAL,
    )  # fmt: skip
