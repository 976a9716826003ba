"""Decisions on ballots, by a person, always: valid or invalid with a reason category and a
note; the second verifier's confirmation; reversals; the edition's rule; and the check
that holds publication back while a case is undecided.

Nothing here runs on its own: every function is called for a verifier who asked, and
each decision, confirmation and reversal is written to the audit log in the same unit of
work that changes the ballot."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.audit import audit_append
from urna.core.db import utcnow
from urna.core.errors import AppError, FormInvalid, NotFound
from urna.core.i18n import N_
from urna.editions.models import Edition
from urna.fraud import service as fraud
from urna.results import service as results
from urna.verification import repository
from urna.verification.models import REASONS, Decision
from urna.verification.schemas import DecisionForm, ReversalForm
from urna.voting.models import Ballot

COUNTED, INVALID, WITHDRAWN = "counted", "invalid", "withdrawn"


class DecisionRefused(AppError):
    status_code = 409
    message = N_("This decision cannot be made.")


class DecisionsClosed(DecisionRefused):
    message = N_(
        "The results of this edition have been published: its ballots' decisions can no "
        "longer be made, confirmed or reversed. Nothing was changed."
    )


async def _decisions_open(session: AsyncSession, edition: Edition) -> None:
    """Decisions end with the publication: after it, a ballot's status and its receipt
    must stay what the published results counted."""
    if await results.results_are_published(session=session, edition=edition):
        raise DecisionsClosed()


class BallotNotFound(NotFound):
    message = N_("There is no such ballot in this edition.")


class DecisionNotFound(NotFound):
    message = N_("There is no such decision in this edition.")


def reason_label(code: str | None) -> str:
    """The label msgid of a reason category (the receipt page shows it)."""
    return REASONS[code][1] if code in REASONS else str(code or "")


# ---- the ballot's status follows the decision in force --------------------------------


def _apply(ballot: Ballot, decision: Decision) -> None:
    decision.status_before = ballot.status
    if ballot.status == WITHDRAWN:  # the paper desk's, for good (a CHECK): recorded only
        return
    if decision.verdict == INVALID:
        ballot.status, ballot.status_reason = INVALID, decision.reason_category
    else:
        ballot.status, ballot.status_reason = COUNTED, None


def _restore(ballot: Ballot, decision: Decision) -> None:
    if ballot.status != WITHDRAWN:
        ballot.status, ballot.status_reason = decision.status_before or COUNTED, None


async def _cases_refresh(session: AsyncSession, ballot_ids: Sequence[int]) -> None:
    """A case is decided when every ballot in it has a decision in force."""
    await session.flush()
    for case_id in await repository.cases_of_ballots(session, ballot_ids):
        undecided = await repository.case_undecided_count(session, case_id)
        await repository.case_status_set(session, case_id, "open" if undecided else "decided")


async def _audit(
    session: AsyncSession, decision: Decision, *, actor_id: int, action: str, reason: str
) -> None:
    await audit_append(
        session=session,
        actor_id=actor_id,
        action=action,
        target=f"ballot:{decision.ballot_id}",
        reason=reason,
        details={
            "decision_id": decision.id,
            "edition_id": decision.edition_id,
            "case_id": decision.case_id,
            "verdict": decision.verdict,
            "reason_category": decision.reason_category,
            "awaits_second_verifier": decision.pending,
        },
    )


# ---- deciding, confirming, reversing --------------------------------------------------


async def ballots_decide(
    *,
    session: AsyncSession,
    edition: Edition,
    ballot_ids: Sequence[int],
    decision: DecisionForm,
    actor_id: int,
    case_id: int | None = None,
) -> list[Decision]:
    """Decide each ballot (a case's ballots, or one). An invalidation takes effect at once,
    or, when the edition requires a second verifier, when another verifier confirms it."""
    await _decisions_open(session, edition)
    ids = sorted(set(ballot_ids))
    if not ids:
        raise FormInvalid({"ballot": N_("Choose at least one ballot.")})
    if case_id is not None:
        in_case = set(await fraud.case_ballot_ids(session=session, case_id=case_id))
        if not set(ids) <= in_case:
            raise BallotNotFound()
    ballots = await repository.ballots_by_ids(session, edition.id, ids)
    if len(ballots) != len(ids):
        raise BallotNotFound()
    if await repository.decisions_active(session, ids):
        raise DecisionRefused(
            N_("A ballot you chose already has a decision. Reverse it before deciding again.")
        )
    needs_confirmation = decision.verdict == INVALID and edition.second_verifier_required
    made = []
    try:
        async with session.begin_nested():
            for ballot in ballots:
                row = Decision(
                    edition_id=edition.id,
                    ballot_id=ballot.id,
                    case_id=case_id,
                    verdict=decision.verdict,
                    reason_category=decision.reason,
                    note=decision.note,
                    needs_confirmation=needs_confirmation,
                    decided_by=actor_id,
                    decided_at=utcnow(),
                )
                if not needs_confirmation:
                    _apply(ballot, row)
                session.add(row)
                made.append(row)
    except IntegrityError as error:  # another verifier decided one of them just now
        raise DecisionRefused(
            N_("A ballot you chose already has a decision. Reverse it before deciding again.")
        ) from error
    for row in made:
        await _audit(session, row, actor_id=actor_id, action="verification.decide", reason=row.note)
    await _cases_refresh(session, ids)
    return made


async def decision_of(*, session: AsyncSession, edition: Edition, decision_id: int) -> Decision:
    decision = await repository.decision_get(session, decision_id)
    if decision is None or decision.edition_id != edition.id:
        raise DecisionNotFound()
    return decision


async def decision_confirm(
    *, session: AsyncSession, edition: Edition, decision_id: int, actor_id: int
) -> Decision:
    """The second verifier's confirmation: the invalidation takes effect now."""
    await _decisions_open(session, edition)
    decision = await decision_of(session=session, edition=edition, decision_id=decision_id)
    if not decision.pending:
        raise DecisionRefused(N_("This decision does not wait for a confirmation."))
    if decision.decided_by == actor_id:
        raise DecisionRefused(
            N_("You made this decision; a second, different verifier must confirm it.")
        )
    ballot = await session.get(Ballot, decision.ballot_id)
    decision.confirmed_by, decision.confirmed_at = actor_id, utcnow()
    _apply(ballot, decision)
    await session.flush()
    await _audit(session, decision, actor_id=actor_id, action="verification.confirm", reason="")
    await _cases_refresh(session, [decision.ballot_id])
    return decision


async def decision_reverse(
    *,
    session: AsyncSession,
    edition: Edition,
    decision_id: int,
    reversal: ReversalForm,
    actor_id: int,
) -> Decision:
    """Withdraw a decision (or reject one awaiting confirmation): the ballot's status
    before it is restored, and the ballot waits for a new decision."""
    await _decisions_open(session, edition)
    note = reversal.note
    decision = await decision_of(session=session, edition=edition, decision_id=decision_id)
    if decision.reversed_at is not None:
        raise DecisionRefused(N_("This decision has already been reversed."))
    if decision.effective:
        _restore(await session.get(Ballot, decision.ballot_id), decision)
    decision.reversed_by, decision.reversed_at, decision.reversal_note = actor_id, utcnow(), note
    await session.flush()
    await _audit(session, decision, actor_id=actor_id, action="verification.reverse", reason=note)
    await _cases_refresh(session, [decision.ballot_id])
    return decision


async def rules_update(
    *, session: AsyncSession, edition: Edition, second_verifier_required: bool, actor_id: int
) -> None:
    """The edition's rule for invalidations (admin). Decisions already made keep the rule
    they were made under."""
    if edition.second_verifier_required == second_verifier_required:
        return
    edition.second_verifier_required = second_verifier_required
    await session.flush()
    await audit_append(
        session=session,
        actor_id=actor_id,
        action="verification.rules",
        target=f"edition:{edition.slug}",
        details={"second_verifier_required": second_verifier_required},
    )


# ---- publication --------------------------------------------------------------------

UNDECIDED = N_(
    "The verification team has not finished: a fraud case is undecided, or an invalidation "
    "waits for a second verifier. Results can be published when every case is decided."
)


async def publication_blocker(session: AsyncSession, edition_id: int) -> str | None:
    """A reason (msgid) why the results must wait, or None (``AppContext.publish_checks``)."""
    if await repository.undecided_cases_exist(session, edition_id):
        return UNDECIDED
    return None


async def ballot_held(session: AsyncSession, ballot_id: int) -> bool:
    """Whether the verification team holds a ballot: in a case, or decided
    (``AppContext.ballot_reviewed``: the paper desk withdraws none it holds)."""
    ids = [ballot_id]
    return bool(
        await repository.cases_of_ballots(session, ids)
        or await repository.decisions_active(session, ids)
    )
