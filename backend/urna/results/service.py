"""Compute an edition's results from its counted ballots, keep them as runs, publish one.

The computation reads the tally from the database (one GROUP BY; equal shares also reads the
distinct approval sets), applies each pool's rule with its recorded tie draw, moves leftover
money between pools as configured, and freezes everything a results page shows into one
payload (`schemas.ResultsPayload`) whose SHA-256 is published with it.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

import anyio
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core import audit
from urna.core.db import utcnow
from urna.core.errors import AppError, NotFound
from urna.core.i18n import N_
from urna.editions import repository as editions_repository
from urna.editions import service as editions
from urna.editions.models import Edition, Pool
from urna.results import deciding, files, opendata, repository, tally
from urna.results.models import ResultRun, TieDraw
from urna.results.rules import (
    MAX_ADD1_RUNS,
    Add1NotSettled,
    Allocation,
    TieDrawError,
    TieDrawIncomplete,
    TieDrawRepeated,
    Transfer,
    TransferOutcome,
    transfers_apply,
)
from urna.results.schemas import EditionFacts, ResultsPayload, number_key, payload_digest
from urna.voting.models import BALLOT_STATUSES

# A reason (msgid) why publishing must wait, or None: ``AppContext.publish_checks``.
PublishCheck = Callable[[AsyncSession, int], Awaitable[str | None]]


class ResultsError(AppError):
    status_code = 409


REVIEW_OPEN = N_(
    "Some ballots are still under review. Close the review (count or invalidate each "
    "one) before publishing the results."
)


class PublicationHeld(ResultsError):
    """What holds the publication: every reason (msgids), the first as the message."""

    def __init__(self, reasons: Sequence[str]) -> None:
        super().__init__(reasons[0])
        self.reasons = list(reasons)


class DrawDecidesFunding(ResultsError):
    """A tie that waits for its public draw decides what is funded (``deciding``). Said to
    every publisher (the console's page, the command line), so it names where to record
    the draw."""

    message = N_(
        "These results cannot be published yet: no public draw has ordered the tied "
        "projects %(ties)s, and their order can change which projects are funded. Hold the "
        "draw, record it on the page of this computation in the staff console, compute the "
        "results again and publish that computation."
    )


async def draws_ensure_decided(
    *, session: AsyncSession, edition: Edition, payload: ResultsPayload
) -> None:
    """Refuse results whose funded projects still depend on a draw not yet recorded; a
    tie whose order changes nothing funded is published as it is ranked."""
    found = await deciding.ties_deciding(session=session, edition=edition, payload=payload)
    if found:
        ties = "; ".join(f"{', '.join(numbers)} ({pool.name})" for pool, numbers in found)
        raise DrawDecidesFunding(params={"ties": ties})


class PublishedMeanwhile(AppError):
    """Not a `ResultsError`: the refused write leaves the unit of work to roll back, so it
    is shown on the error page rather than on the page the request came from."""

    status_code = 409
    message = N_("Another publication happened at the same time.")


# ---- computing -------------------------------------------------------------------------


async def results_compute(*, session: AsyncSession, edition: Edition) -> ResultsPayload:
    """The edition's results (nothing is written)."""
    inputs = await tally.run_inputs_read(session=session, edition=edition)
    pools = inputs.pools
    areas = {area.id: area for area in await editions_repository.areas_of(session, edition.id)}
    codes = {pool.id: pool.code for pool in pools}
    allocators = {pool.code: inputs.allocator(pool, inputs.draws.get(pool.id)) for pool in pools}
    budgets = {pool.code: pool.budget for pool in pools}
    transfers = tally.transfers_ordered(pools, codes)
    try:
        # The rules are pure CPU work (seconds for a city): a worker thread runs them, so
        # the event loop goes on serving the other requests of this process meanwhile.
        outcome = await anyio.to_thread.run_sync(allocate, allocators, budgets, transfers)
    except TieDrawError as error:
        raise _draw_refused(error) from error
    except Add1NotSettled as error:
        raise ResultsError(
            N_(
                "The add-one completion of equal shares did not settle within %(runs)s "
                "computations. This is a fault in Urna, not in the edition's data (the rule "
                "cannot be changed once voting has opened): report it to the system's "
                "maintainers with the edition's address. Nothing was saved."
            ),
            params={"runs": MAX_ADD1_RUNS},
        ) from error

    statuses = await repository.ballot_status_counts(session, edition.id)
    return ResultsPayload(
        edition=EditionFacts(
            slug=edition.slug,
            name=edition.name,
            municipality=edition.municipality,
            vote_type=edition.vote_type,
            voting_opens_at=edition.voting_opens_at.isoformat(),
            voting_closes_at=edition.voting_closes_at.isoformat(),
        ),
        computed_at=utcnow().isoformat(),
        # withdrawn paper typings only where there are some: the open data's three
        # statuses keep their shape for every edition without a withdrawal
        ballots={
            status: statuses.get(status, 0)
            for status in BALLOT_STATUSES
            if status != "withdrawn" or statuses.get(status)
        },
        pools=[
            tally.pool_result(
                pool=pool,
                allocation=outcome.results[pool.code],
                projects=inputs.projects.get(pool.id, []),
                tallies=inputs.tallies,
                voter_count=inputs.voters.get(pool.id, 0),
                draw=inputs.draws.get(pool.id),
                areas=areas,
                codes=codes,
                given=outcome.given.get(pool.code, 0),
                received=outcome.received.get(pool.code, 0),
                leftover=outcome.leftover(pool.code),
            )
            for pool in pools
        ],
        transfers=[step.to_dict() for step in outcome.steps],
        turnout=await tally.turnout_compute(session=session, edition=edition, areas=areas),
    )


def _draw_refused(error: TieDrawError) -> ResultsError:
    """A recorded draw the rules cannot use, as the office reads it (never a server error:
    the draws of older versions were not checked as they are now)."""
    numbers = ", ".join(sorted(error.project_ids, key=number_key))
    if isinstance(error, TieDrawRepeated):
        message = N_(
            "The recorded draw lists the projects %(numbers)s more than once. Record the draw "
            "again, each tied project once, then compute the results again."
        )
    elif isinstance(error, TieDrawIncomplete):
        message = N_(
            "The recorded draw does not place the tied projects %(numbers)s. Record a new draw "
            "that orders every tied project, then compute the results again."
        )
    else:
        message = N_("Enter either the drawn number or the drawn order, not both.")
    return ResultsError(message, params={"numbers": numbers})


def allocate(
    allocators: dict[str, Callable[[int], Allocation]],
    budgets: dict[str, int],
    transfers: list[Transfer],
) -> TransferOutcome:
    """Each pool's rule on its budget, then the leftover moved between pools as configured
    (``results_compute`` calls it in a worker thread)."""
    first = {code: allocators[code](budget) for code, budget in budgets.items()}
    return transfers_apply(results=first, transfers=transfers, recompute=allocators)


# ---- runs and publication --------------------------------------------------------------


async def run_create(*, session: AsyncSession, edition: Edition, actor_id: int | None) -> ResultRun:
    """Compute and keep the results as a draft, audited."""
    payload = (await results_compute(session=session, edition=edition)).as_json()
    run = ResultRun(
        edition_id=edition.id,
        status="draft",
        computed_by=actor_id,
        payload=payload,
        sha256=payload_digest(payload),
    )
    session.add(run)
    await session.flush()
    await _run_audited(session=session, run=run, edition=edition, actor_id=actor_id)
    return run


async def _run_audited(
    *, session: AsyncSession, run: ResultRun, edition: Edition, actor_id: int | None
) -> None:
    """Audit what happened to ``run`` (computed or published), in the same unit of work."""
    await audit.audit_append(
        session=session,
        actor_id=actor_id,
        action="results.publish" if run.status == "published" else "results.compute",
        target=f"edition:{edition.slug}",
        details={"run": run.id, "sha256": run.sha256},
    )


async def run_publish(
    *,
    session: AsyncSession,
    edition: Edition,
    run_id: int,
    actor_id: int | None,
    now: datetime | None = None,
    checks: Sequence[PublishCheck] = (),
) -> ResultRun:
    """Publish a reviewed draft: the previous publication is withdrawn, in one transaction.

    Never while voting is still open, never while one of ``checks`` (the app's
    ``publish_checks``: the verification team's undecided cases) names a reason to wait,
    and never, whoever publishes (the console, the demo, a script), while a tie waiting
    for its public draw decides what is funded (``deciding``).
    Two publications racing meet the partial UNIQUE index: the second is refused and its
    unit of work rolled back."""
    run = await repository.run_get(session, run_id)
    if run is None or run.edition_id != edition.id:
        raise NotFound()
    if run.status != "draft":
        raise ResultsError(N_("Only a draft can be published."))
    if editions.edition_phase(edition, now) in ("upcoming", "open"):
        raise ResultsError(N_("Results can be published only after voting has closed."))
    statuses = await _publication_unheld(session, edition, checks)
    if not opendata.ballots_unchanged(statuses, run):
        raise ResultsError(
            N_("Ballots have changed since this draft was computed. Compute the results again.")
        )
    payload = ResultsPayload.model_validate(run.payload)
    await draws_ensure_decided(session=session, edition=edition, payload=payload)
    await repository.runs_withdraw_published(session, edition.id)
    await repository.runs_withdrawn_files_delete(session, edition.id)
    run.status = "published"
    run.published_at = now or utcnow()
    run.published_by = actor_id
    run.ballot_order_seed = secrets.randbits(62)
    try:
        await session.flush()
    except IntegrityError as error:
        raise PublishedMeanwhile() from error
    await files.files_build(session=session, edition=edition, run=run)
    await _run_audited(session=session, run=run, edition=edition, actor_id=actor_id)
    return run


async def _publication_unheld(
    session: AsyncSession, edition: Edition, checks: Sequence[PublishCheck]
) -> dict[str, int]:
    """The ballots by status, once nothing holds the publication; held, every reason
    (each check, and ballots under review) is said at once, not the first alone: the
    office settles them all before trying again."""
    reasons = [reason for check in checks if (reason := await check(session, edition.id))]
    statuses = await repository.ballot_status_counts(session, edition.id)
    if statuses.get("under_review"):
        reasons.append(REVIEW_OPEN)
    if reasons:
        raise PublicationHeld(reasons)
    return statuses


async def results_are_published(*, session: AsyncSession, edition: Edition) -> bool:
    return await repository.run_published(session, edition.id) is not None


async def run_published(*, session: AsyncSession, edition: Edition) -> ResultRun:
    run = await repository.run_published(session, edition.id)
    if run is None:
        raise NotFound(N_("The results of this edition have not been published yet."))
    return run


async def draw_record(
    *,
    session: AsyncSession,
    edition: Edition,
    pool: Pool,
    seed: int | None,
    order: list[str] | None,
    note: str,
    actor_id: int | None,
    run: ResultRun | None = None,
) -> TieDraw:
    """Record (or correct, before publication) the public draw of a pool; audited.

    A drawn order names each project once, only projects of ``pool`` and, when it is
    recorded from the page of the computation ``run``, exactly the projects that tie in
    that pool there (one order serves all its ties): a draw the next computation could not
    use is refused here, never stored."""
    if (seed is None) == (not order):
        raise ResultsError(N_("Enter either the drawn number or the drawn order, not both."))
    if order:
        projects = await editions_repository.projects_of(session, edition.id)
        in_pool = {project.number for project in projects if project.pool_id == pool.id}
        _order_check(order, in_pool, _tied_in(run, pool))
    if await repository.run_published(session, edition.id) is not None:
        raise ResultsError(N_("The results are published; the draw can no longer change."))
    draws = await repository.draws_of(session, edition.id)
    draw = draws.get(pool.id) or TieDraw(edition_id=edition.id, pool_id=pool.id)
    draw.seed, draw.draw_order, draw.note = seed, order or None, note
    draw.recorded_by, draw.recorded_at = actor_id, utcnow()
    session.add(draw)
    await audit.audit_append(
        session=session,
        actor_id=actor_id,
        action="results.draw",
        target=f"pool:{pool.id}",
        details={"seed": seed, "order": order, "note": note},
    )
    return draw


def _tied_in(run: ResultRun | None, pool: Pool) -> set[str] | None:
    """The projects that tie in ``pool`` in the computation ``run`` (None: not known)."""
    if run is None:
        return None
    result = ResultsPayload.model_validate(run.payload).pool(pool.code)
    if result is None or "ties" not in result.allocation:
        return None
    return set(result.tied())


def _order_check(order: list[str], in_pool: set[str], tied: set[str] | None) -> None:
    """Refuse a drawn order that repeats a project, names one of another pool, or (the ties
    being known) leaves out a tied project or names one that does not tie."""
    repeated = {number for number, count in Counter(order).items() if count > 1}
    foreign = set(order) - in_pool
    untied = set() if tied is None else set(order) - tied
    missing = set() if tied is None else tied - set(order)
    for numbers, message in (
        (repeated, N_("The drawn order lists the projects %(numbers)s more than once.")),
        (foreign, N_("These project numbers are not in this pool: %(numbers)s.")),
        (
            untied,
            N_(
                "The drawn order may list only the projects that tie in this computation; "
                "these do not: %(numbers)s."
            ),
        ),
        (
            missing,
            N_(
                "The drawn order must list every project that ties in this computation; "
                "missing: %(numbers)s."
            ),
        ),
    ):
        if numbers:
            raise ResultsError(
                message, params={"numbers": ", ".join(sorted(numbers, key=number_key))}
            )
