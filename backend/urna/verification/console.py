"""The verification team's console: cases ranked by score, a case, a ballot, decisions,
confirmations and reversals, unmasking, lookups and the edition's second-verifier rule.

Who may do what (``staff/matrix.py``): the case list is for every log reader (scores and
signals come from the logs; no identity, no choice); everything that shows a ballot, its
resident or its choices, and every decision, is for the verification team and the office."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.access import AdminUser, LogReader, Principal, VerifierUser
from urna.core.context import Ctx, DbSession, ReplicaSession
from urna.core.errors import FormInvalid
from urna.core.forms import form_openapi, form_parse, whole_in
from urna.core.i18n import N_
from urna.core.text import inert
from urna.core.views import form_list, form_values, render, safe_next, see_other
from urna.editions import repository as editions_repository
from urna.editions import service as editions
from urna.editions.models import Edition
from urna.fraud import service as fraud
from urna.fraud.kinds import kind_label
from urna.fraud.models import CASE_STATUSES
from urna.verification import repository, review, service
from urna.verification.models import REASONS
from urna.verification.schemas import DecisionForm, ReversalForm, UnmaskForm

router = APIRouter()
DECIDERS = ("verifier", "admin")
_TEXT = {"type": "string"}
_REASON = {"enum": list(REASONS)}  # one that fits the verdict (DecisionForm checks it)
_BALLOTS = {"type": "array", "items": {"type": "integer", "minimum": 1}}
_PERSON = {name: _TEXT for name in review.PERSON_FIELDS}


def base(slug: str) -> str:
    return f"/staff/verify/{slug}"


def page_context(edition: Edition, user: Principal, section: str) -> dict[str, Any]:
    return {
        "edition": edition,
        "phase": editions.edition_phase(edition),
        "section": section,
        "reasons": REASONS,
        "reason_label": service.reason_label,
        "kind_label": kind_label,
        "evidence_text": fraud.evidence_render,  # in the page's language, as it is drawn
        "me": user,
        "may_decide": user.role in DECIDERS,
    }


def trail_row(row) -> dict[str, Any]:
    """A request as the console shows it: every text inert."""
    return {
        "request_id": row.request_id,
        "arrived_at": row.arrived_at,
        "ip": row.ip or "",
        "method": inert(row.method),
        "url": inert(row.url, 300),
        "status": row.status,
        "user_agent": inert(row.user_agent, 120) or "",
    }


@router.get("/staff/verify")
async def editions_page(request: Request, db: ReplicaSession, user: LogReader):
    found = await editions.editions_list(session=db)
    return await render(request, "verification/editions.html", {"editions": found})


@router.get("/staff/verify/{slug}")
async def cases_page(request: Request, slug: str, db: ReplicaSession, user: LogReader,
                     status: str = ""):  # fmt: skip
    edition = await editions.edition_get(session=db, slug=slug)
    context = page_context(edition, user, "cases")
    context.update(
        cases=await fraud.cases_list(
            session=db, edition_id=edition.id, status=status if status in CASE_STATUSES else None
        ),
        status=status,
        blocker=await service.publication_blocker(db, edition.id),
        pending=await repository.decisions_pending(db, edition.id) if user.role in DECIDERS else [],
    )
    return await render(request, "verification/cases.html", context)


@router.post(
    "/staff/verify/{slug}/rules",
    openapi_extra=form_openapi(second_verifier_required={"enum": ["0", "1"]}),
)
async def rules_save(request: Request, slug: str, db: DbSession, user: AdminUser):
    edition = await editions.edition_get(session=db, slug=slug)
    form = await form_values(request)
    await service.rules_update(
        session=db,
        edition=edition,
        second_verifier_required=form.get("second_verifier_required") == "1",
        actor_id=user.id,
    )
    return see_other(base(slug))


# ---- a case -------------------------------------------------------------------------


async def _review_page(request: Request, template: str, context: dict[str, Any], *,
                       errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
                       **more: Any):  # fmt: skip
    """A page with a resident's ballot on it: never cached, a refused form answered 400."""
    context.update(errors=errors or {}, values=values or {}, **more)
    status = 400 if errors else 200
    return await render(request, template, context, personal=True, status_code=status)


async def _case_page(request: Request, ctx: Ctx, db: AsyncSession, edition: Edition,
                     case_id: int, user: Principal, **extra: Any):  # fmt: skip
    view = await review.case_view(
        session=db, crypto=ctx.crypto, edition=edition, case_id=case_id, actor_id=user.id
    )
    context = page_context(edition, user, "cases")
    context.update(
        view=view, trails={c.ballot.id: [trail_row(r) for r in c.trail] for c in view.cards}
    )
    return await _review_page(request, "verification/case.html", context, **extra)


@router.get("/staff/verify/{slug}/cases/{case_id}")
async def case_page(request: Request, slug: str, case_id: int, ctx: Ctx, db: DbSession,
                    user: VerifierUser):  # fmt: skip
    edition = await editions.edition_get(session=db, slug=slug)
    return await _case_page(request, ctx, db, edition, case_id, user)


def _ballot_ids(values: list[str]) -> list[int]:
    ids = [whole_in(value) for value in values]
    if None in ids:
        raise FormInvalid({"ballot": N_("Choose at least one ballot.")})
    return ids  # type: ignore[return-value]


@router.post(
    "/staff/verify/{slug}/cases/{case_id}/decide",
    openapi_extra=form_openapi(DecisionForm, ballot=_BALLOTS, reason=_REASON),
)
async def case_decide(request: Request, slug: str, case_id: int, ctx: Ctx, db: DbSession,
                      user: VerifierUser):  # fmt: skip
    edition = await editions.edition_get(session=db, slug=slug)
    form = await form_values(request)
    picked = await form_list(request, "ballot")
    try:
        decision = form_parse(DecisionForm, form)
        await service.ballots_decide(
            session=db,
            edition=edition,
            ballot_ids=_ballot_ids(picked),
            decision=decision,
            actor_id=user.id,
            case_id=case_id,
        )
    except FormInvalid as error:
        values = {**form, "ballot": picked}
        return await _case_page(
            request, ctx, db, edition, case_id, user, errors=error.errors, values=values
        )
    return see_other(f"{base(slug)}/cases/{case_id}")


# ---- one ballot ---------------------------------------------------------------------


async def _ballot_page(request: Request, ctx: Ctx, db: AsyncSession, edition: Edition,
                       ballot_id: int, user: Principal, **extra: Any):  # fmt: skip
    """``extra``: ``errors`` and ``values`` of a refused form, or the unmasked ``identity``."""
    view = await review.ballot_view(
        session=db, crypto=ctx.crypto, edition=edition, ballot_id=ballot_id, actor_id=user.id
    )
    context = page_context(edition, user, "cases")
    context.update(view=view, trail=[trail_row(r) for r in view.card.trail], identity=None)
    return await _review_page(request, "verification/ballot.html", context, **extra)


@router.get("/staff/verify/{slug}/ballots/{ballot_id}")
async def ballot_page(request: Request, slug: str, ballot_id: int, ctx: Ctx, db: DbSession,
                      user: VerifierUser):  # fmt: skip
    edition = await editions.edition_get(session=db, slug=slug)
    return await _ballot_page(request, ctx, db, edition, ballot_id, user)


@router.post(
    "/staff/verify/{slug}/ballots/{ballot_id}/decide",
    openapi_extra=form_openapi(DecisionForm, reason=_REASON),
)
async def ballot_decide(request: Request, slug: str, ballot_id: int, ctx: Ctx, db: DbSession,
                        user: VerifierUser):  # fmt: skip
    edition = await editions.edition_get(session=db, slug=slug)
    form = await form_values(request)
    try:
        decision = form_parse(DecisionForm, form)
        await service.ballots_decide(
            session=db, edition=edition, ballot_ids=[ballot_id], decision=decision, actor_id=user.id
        )
    except FormInvalid as error:
        return await _ballot_page(
            request, ctx, db, edition, ballot_id, user, errors=error.errors, values=form
        )
    return see_other(f"{base(slug)}/ballots/{ballot_id}")


@router.post(
    "/staff/verify/{slug}/ballots/{ballot_id}/unmask", openapi_extra=form_openapi(UnmaskForm)
)
async def ballot_unmask(request: Request, slug: str, ballot_id: int, ctx: Ctx, db: DbSession,
                        user: VerifierUser):  # fmt: skip
    """Shown once, in the answer to this POST: the identity never sits behind a GET."""
    edition = await editions.edition_get(session=db, slug=slug)
    form = await form_values(request)
    try:
        identity = await review.identity_unmask(
            session=db,
            crypto=ctx.crypto,
            edition=edition,
            ballot_id=ballot_id,
            unmask=form_parse(UnmaskForm, form),
            actor_id=user.id,
        )
    except FormInvalid as error:  # its own key: the decision form has a "reason" too
        errors = {"unmask": error.errors["reason"]}
        return await _ballot_page(request, ctx, db, edition, ballot_id, user, errors=errors)
    return await _ballot_page(request, ctx, db, edition, ballot_id, user, identity=identity)


# ---- confirming and reversing a decision ----------------------------------------------


@router.post(
    "/staff/verify/{slug}/decisions/{decision_id}/confirm", openapi_extra=form_openapi(next=_TEXT)
)
async def decision_confirm(request: Request, slug: str, decision_id: int, db: DbSession,
                           user: VerifierUser):  # fmt: skip
    edition = await editions.edition_get(session=db, slug=slug)
    form = await form_values(request)
    decision = await service.decision_confirm(
        session=db, edition=edition, decision_id=decision_id, actor_id=user.id
    )
    return see_other(safe_next(form.get("next") or f"{base(slug)}/ballots/{decision.ballot_id}"))


@router.post(
    "/staff/verify/{slug}/decisions/{decision_id}/reverse",
    openapi_extra=form_openapi(ReversalForm, next=_TEXT),
)
async def decision_reverse(request: Request, slug: str, decision_id: int, ctx: Ctx,
                           db: DbSession, user: VerifierUser):  # fmt: skip
    edition = await editions.edition_get(session=db, slug=slug)
    form = await form_values(request)
    decision = await service.decision_of(session=db, edition=edition, decision_id=decision_id)
    try:
        await service.decision_reverse(
            session=db,
            edition=edition,
            decision_id=decision_id,
            reversal=form_parse(ReversalForm, form),
            actor_id=user.id,
        )
    except FormInvalid as error:
        errors = {f"reverse-{decision_id}": error.errors["note"]}
        return await _ballot_page(
            request, ctx, db, edition, decision.ballot_id, user, errors=errors
        )
    return see_other(safe_next(form.get("next") or f"{base(slug)}/ballots/{decision.ballot_id}"))


# ---- finding a ballot ---------------------------------------------------------------


async def _find_page(request: Request, db: AsyncSession, edition: Edition, user: Principal,
                     **context: Any):  # fmt: skip
    page = page_context(edition, user, "find")
    page.update(
        streets=await editions_repository.streets_of(db, edition.id),
        found=None,
        errors={},
        values={},
    )
    page.update(context)
    status = 400 if page["errors"] else 200
    return await render(request, "verification/find.html", page, personal=True, status_code=status)


@router.get("/staff/verify/{slug}/find")
async def find_page(request: Request, slug: str, db: DbSession, user: VerifierUser):
    edition = await editions.edition_get(session=db, slug=slug)
    return await _find_page(request, db, edition, user)


@router.post(
    "/staff/verify/{slug}/find",
    openapi_extra=form_openapi(by={"enum": ["receipt", "person"]}, code=_TEXT, **_PERSON),
)
async def find(request: Request, slug: str, ctx: Ctx, db: DbSession, user: VerifierUser):
    """By receipt code, or by name and address (posted: never in a URL or a log)."""
    edition = await editions.edition_get(session=db, slug=slug)
    form = await form_values(request)
    try:
        if form.get("by") == "receipt":
            found = await review.ballots_by_receipt(
                session=db,
                crypto=ctx.crypto,
                edition=edition,
                code=form.get("code", ""),
                actor_id=user.id,
            )
        else:
            found = await review.ballots_by_person(
                session=db, crypto=ctx.crypto, edition=edition, form=form, actor_id=user.id
            )
    except FormInvalid as error:
        return await _find_page(request, db, edition, user, errors=error.errors, values=form)
    cards = await review.cards_build(session=db, crypto=ctx.crypto, edition=edition, ballots=found)
    return await _find_page(request, db, edition, user, found=cards, values=form)
