"""The resident's vote, step by step. Every form works without JavaScript (POST → 303);
htmx only updates the live counts on the choices page."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.context import AppContext, get_ctx
from urna.core.db import transaction
from urna.core.errors import FormInvalid, TooManyRequests, retry_after
from urna.core.forms import form_openapi, query_openapi
from urna.core.sessions import Session, SessionUnavailable, session_trail
from urna.core.templating import is_htmx
from urna.core.views import client_ip, form_list, form_values, render, request_id, see_other
from urna.documents import service as documents
from urna.editions import service as editions
from urna.editions.models import Edition
from urna.editions.service import EditionSnapshot
from urna.voting import ballot_page, ballots, choices, receipts, service
from urna.voting.schemas import (
    PROJECT_BOXES,
    CodeForm,
    IdentityForm,
    choices_parse,
)
from urna.voting.state import VoteFinished, VoteState, receipt_of

router = APIRouter()
SECRET_FIELDS = {"pesel", "csrf_token"}


def _state(request: Request, edition: Edition) -> VoteState:
    session: Session = request.state.session
    if not session.available:  # the store is down: an outage (503), not a broken flow
        raise SessionUnavailable("the unfinished ballot cannot be read")
    data = session.get("vote")
    if data is None and receipt_of(session, edition.slug):
        raise VoteFinished(edition.slug)
    return VoteState.load(data, edition=edition.slug)


async def _snapshot(
    request: Request, db: AsyncSession | None, slug: str, *, streets: bool = False
) -> EditionSnapshot:
    """The edition from the app's snapshot cache (no query once voting has opened). The
    steps that write nothing to the database take no ``DbSession`` (``db`` None): a miss
    reads in a unit of work of its own, a hit costs no session."""
    return await editions.edition_snapshot_cached(request, db, slug, streets=streets)


async def _progress(
    request: Request, db: AsyncSession | None, slug: str, *, streets: bool = False
) -> tuple[EditionSnapshot, Edition, VoteState]:
    """The edition as the vote sees it, and where this browser is in its vote (out of
    order when it has not begun voting in this edition)."""
    snapshot = await _snapshot(request, db, slug, streets=streets)
    return snapshot, snapshot.edition, _state(request, snapshot.edition)


def _unit(request: Request) -> AbstractAsyncContextManager[AsyncSession]:
    """The request's unit of work (``core.db.transaction``: committed when the block ends,
    rolled back when it raises, before the response), entered by the steps that write:
    resolving FastAPI's generator dependency (``DbSession``) cost more than the session."""
    return transaction(get_ctx(request).db)


def _save(request: Request, state: VoteState) -> None:
    request.state.session["vote"] = state.dump()


def _meta(request: Request, ctx: AppContext) -> ballots.RequestMeta:
    session: Session = request.state.session
    return ballots.RequestMeta(
        request_id=request_id(request),
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
        # the session's trail name, as its request-log rows carry it (stable across
        # the id rotation at identity confirmation): ballot → logs → the whole trail
        session_hash=session_trail(session, ctx.crypto.session_hash),
    )


# ---- 1. information clause ----------------------------------------------------------


@router.get("/e/{slug}/vote")
async def clause_page(request: Request, slug: str):
    snapshot = await _snapshot(request, None, slug)
    edition = snapshot.edition
    editions.voting_ensure_open(edition=edition)
    return await _render_clause(request, snapshot)


async def _render_clause(request: Request, snapshot: EditionSnapshot, errors=None):
    edition = snapshot.edition
    clause = await documents.clause_current(sessions=get_ctx(request).db, snapshot=snapshot)
    lang = request.state.session.get("lang")
    return await render(
        request,
        "voting/clause.html",
        {
            "edition": edition,
            "clause": clause,
            "body_html": documents.document_body_html(clause, lang, top=3),  # under its h2
            "errors": errors or {},
            "voted": receipt_of(request.state.session, edition.slug) is not None,
        },
        status_code=400 if errors else 200,
    )


@router.post("/e/{slug}/vote", openapi_extra=form_openapi(acknowledge={"enum": ["yes"]}))
async def clause_acknowledge(request: Request, slug: str):
    snapshot = await _snapshot(request, None, slug)
    edition = snapshot.edition
    editions.voting_ensure_open(edition=edition)  # a closed edition's answer, clause or not
    form = await form_values(request)
    clause = await documents.clause_current(sessions=get_ctx(request).db, snapshot=snapshot)
    try:
        state = service.clause_acknowledge(
            edition=edition, clause_id=clause.id, acknowledged=form.get("acknowledge") == "yes"
        )
    except FormInvalid as error:
        return await _render_clause(request, snapshot, error.errors)
    _save(request, state)
    return see_other(f"/e/{slug}/vote/identity")


# ---- 2. identity --------------------------------------------------------------------


async def _render_identity(
    request, snapshot: EditionSnapshot, *, values=None, errors=None, status_code=200
):
    edition = snapshot.edition
    # the register by name, kept with the cached edition, its list rendered once with it
    templates = get_ctx(request).templates
    streets = templates.fragment(snapshot.pages, "voting/_streets.html", streets=snapshot.streets)
    return await render(
        request,
        "voting/identity.html",
        {
            "edition": edition,
            "streets": streets,
            "values": values or {},
            "errors": errors or {},
            "required": set(edition.required_fields),
            # a contact used up: the edition's rule, what to do, the office's phone
            "contact_used": service.CONTACT_USED in (errors or {}).values(),
        },
        status_code=status_code,
        personal=True,
    )


@router.get("/e/{slug}/vote/identity")
async def identity_page(request: Request, slug: str):
    snapshot, _, _ = await _progress(request, None, slug, streets=True)  # once the vote began
    return await _render_identity(request, snapshot)


@router.post("/e/{slug}/vote/identity", openapi_extra=form_openapi(IdentityForm))
async def identity_submit(request: Request, slug: str):
    async with _unit(request) as db:
        ctx = get_ctx(request)
        snapshot, edition, state = await _progress(request, db, slug, streets=True)
        form = await form_values(request)
        try:
            state = await service.identity_submit(
                session=db,
                crypto=ctx.crypto,
                limiter=ctx.limiter,
                settings=ctx.settings,
                snapshot=snapshot,
                state=state,
                form=form,
                ip=client_ip(request),
            )
        except (FormInvalid, TooManyRequests) as error:
            values = {k: v for k, v in form.items() if k not in SECRET_FIELDS}
            errors = error.errors if isinstance(error, FormInvalid) else {"__all__": error.message}
            page = await _render_identity(
                request, snapshot, values=values, errors=errors, status_code=error.status_code
            )
            return retry_after(page, error)
        _save(request, state)
        if state.confirmed:
            request.state.session.rotate()
            return see_other(f"/e/{slug}/vote/choices")
        return see_other(f"/e/{slug}/vote/code")


# ---- 3. one-time code ---------------------------------------------------------------


async def _render_code(
    request, edition, state, *, errors=None, params=None, notice=None, status_code=200
):
    return await render(
        request,
        "voting/code.html",
        {
            "edition": edition,
            "state": state,
            "errors": errors or {},
            "params": params or {},
            "notice": notice,
        },
        status_code=status_code,
        personal=True,
    )


@router.get("/e/{slug}/vote/code")
async def code_page(request: Request, slug: str):
    _, edition, state = await _progress(request, None, slug)
    if state.confirmed:
        return see_other(f"/e/{slug}/vote/choices")
    return await _render_code(request, edition, state)


@router.post("/e/{slug}/vote/code", openapi_extra=form_openapi(CodeForm))
async def code_submit(request: Request, slug: str):
    async with _unit(request) as db:
        ctx = get_ctx(request)
        _, edition, state = await _progress(request, db, slug)
        form = await form_values(request)
        try:
            state = await service.code_verify(
                session=db,
                crypto=ctx.crypto,
                limiter=ctx.limiter,
                settings=ctx.settings,
                edition=edition,
                state=state,
                code=form.get("code", ""),
            )
        except FormInvalid as error:
            _save(request, state)  # a used-up or expired code is forgotten
            page = await _render_code(
                request,
                edition,
                state,
                errors=error.errors,
                params=error.params,
                status_code=error.status_code,
            )
            return retry_after(page, error)  # a code's tries used up: 429
        _save(request, state)
        request.state.session.rotate()
        return see_other(f"/e/{slug}/vote/choices")


@router.post("/e/{slug}/vote/code/resend", openapi_extra=form_openapi())
async def code_resend(request: Request, slug: str):
    async with _unit(request) as db:
        ctx = get_ctx(request)
        _, edition, state = await _progress(request, db, slug)
        try:
            await service.code_send(
                session=db,
                crypto=ctx.crypto,
                limiter=ctx.limiter,
                settings=ctx.settings,
                state=state,
                ip=client_ip(request),
            )
        except TooManyRequests as error:
            page = await _render_code(
                request, edition, state, errors={"code": error.message}, status_code=429
            )
            return retry_after(page, error)
        _save(request, state)
        return await _render_code(request, edition, state, notice="sent")


# ---- 4. choices ---------------------------------------------------------------------


async def _render_choices(request, snapshot, options, *, errors=None, status_code=200):
    values = ballot_page.values(get_ctx(request).templates, snapshot, options, errors)
    return await render(
        request, "voting/choices.html", values, block="summary", status_code=status_code,
        personal=True,
    )  # fmt: skip


@router.get("/e/{slug}/vote/choices")
async def choices_page(request: Request, slug: str):
    snapshot, edition, state = await _progress(request, None, slug)
    options = choices.ballot_options(snapshot=snapshot, state=state)
    return await _render_choices(request, snapshot, options)


@router.post(
    "/e/{slug}/vote/choices",
    openapi_extra=form_openapi(project=PROJECT_BOXES)
    | query_openapi(read={"type": "string"}, live={"type": "string"}, update={"type": "string"}),
)
async def choices_submit(request: Request, slug: str):
    """No JS: save, go to review (?update=1: the ballot again; ?read=n: project n, which
    leads back). htmx (live): the summary only."""
    snapshot, edition, state = await _progress(request, None, slug)
    options = choices.ballot_options(snapshot=snapshot, state=state)
    query = request.query_params
    read = query.get("read")
    live = bool(is_htmx(request) and query.get("live") or read or query.get("update"))
    try:
        picked = choices_parse(await form_list(request, "project"))
    except FormInvalid as error:
        return await _render_choices(
            request, snapshot, options, errors=error.errors, status_code=400
        )
    errors = choices.choices_apply(options=options, state=state, picked=picked, strict=not live)
    _save(request, state)
    if read and any(p.number == read for option in options for p in option.projects):
        return see_other(f"/e/{slug}/projects/{quote(read, safe='')}?from=ballot")
    if errors or live:
        return await _render_choices(
            request, snapshot, options, errors=errors, status_code=200 if live else 400
        )
    return see_other(f"/e/{slug}/vote/review")


# ---- 5. review and cast -------------------------------------------------------------


@router.get("/e/{slug}/vote/review")
async def review_page(request: Request, slug: str):
    snapshot, edition, state = await _progress(request, None, slug)
    options = choices.ballot_options(snapshot=snapshot, state=state)
    if not state.choices:
        return see_other(f"/e/{slug}/vote/choices")
    context = {"edition": edition, "options": options, "reviewed": state.choices_seal()}
    return await render(request, "voting/review.html", context, personal=True)


@router.post("/e/{slug}/vote/cast", openapi_extra=form_openapi(reviewed={"type": "string"}))
async def cast(request: Request, slug: str):
    async with _unit(request) as db:
        ctx = get_ctx(request)
        session: Session = request.state.session
        snapshot = await _snapshot(request, db, slug)
        edition = snapshot.edition
        done = receipt_of(session, slug)
        if session.get("vote") is None and done:
            return _to_receipt(ctx, slug, done["code"])  # resubmitted after the receipt
        state = _state(request, edition)
        options = choices.ballot_options(snapshot=snapshot, state=state)
        try:
            receipt = await service.ballot_cast(
                session=db,
                crypto=ctx.crypto,
                edition=edition,
                state=state,
                options=options,
                meta=_meta(request, ctx),
                reviewed=(await request.form()).get("reviewed"),  # what the page showed
            )
        except FormInvalid as error:
            return await _render_choices(
                request, snapshot, options, errors=error.errors, status_code=400
            )
        # Committed: the identity leaves the session; the receipt stays, in the address too.
        session.pop("vote")
        session["receipt"] = {"edition": slug, "code": receipt}
        return _to_receipt(ctx, slug, receipt)


def _to_receipt(ctx: AppContext, slug: str, code: str) -> Response:
    """To the receipt page, the receipt in the address too (signed, short-lived): it
    reaches the resident even when the session store fails after the commit."""
    token = receipts.receipt_link_token(ctx.crypto, slug=slug, code=code)
    return see_other(f"/e/{slug}/vote/receipt?receipt={token}")


@router.get("/e/{slug}/vote/receipt")
async def receipt_page(request: Request, slug: str, receipt: str = ""):
    snapshot = await _snapshot(request, None, slug)
    edition = snapshot.edition
    done = receipt_of(request.state.session, slug)
    if done:
        code = done["code"]
    else:
        code = receipts.receipt_link_open(get_ctx(request).crypto, receipt, slug=slug)
    if code is None:
        return see_other(f"/e/{slug}")
    return await render(
        request,
        "voting/receipt.html",
        {"edition": edition, "receipt": receipts.receipt_format(code)},
        personal=True,
    )
