"""The resident's vote, step by step. Every form works without JavaScript (POST → 303);
htmx only updates the live counts on the choices page."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from urna.core.context import AppContext, get_ctx
from urna.core.errors import FormInvalid, TooManyRequests, retry_after
from urna.core.forms import form_openapi, query_openapi
from urna.core.i18n import LANGUAGES
from urna.core.sessions import Session
from urna.core.templating import is_htmx
from urna.core.views import client_ip, form_list, form_values, render, see_other
from urna.documents import service as documents
from urna.editions import service as editions
from urna.editions.service import EditionSnapshot
from urna.voting import ballot_page, choices, drafts, holdings, receipts, service
from urna.voting.flow import (
    notice_put,
    notice_take,
    progress,
    request_meta,
    snapshot_of,
    state_save,
    unit,
    vote_state,
)
from urna.voting.schemas import PROJECT_BOXES, CodeForm, IdentityForm, choices_parse
from urna.voting.state import receipt_of

router = APIRouter()
SECRET_FIELDS = drafts.NEVER_KEPT | {"csrf_token"}
TEXT = {"type": "string"}
CODE_SENT = "code_sent"  # the one-time notice of a new code: the edition it was sent in


# ---- 1. information clause ----------------------------------------------------------


@router.get("/e/{slug}/vote")
async def clause_page(request: Request, slug: str):
    snapshot = await snapshot_of(request, None, slug)
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
    snapshot = await snapshot_of(request, None, slug)
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
    state_save(request, state)
    return see_other(f"/e/{slug}/vote/identity")


# ---- 2. identity --------------------------------------------------------------------


async def _render_identity(
    request,
    snapshot: EditionSnapshot,
    *,
    values=None,
    errors=None,
    params=None,
    status_code=200,
    kept=False,
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
            "params": params or {},  # of the messages' placeholders (the street named)
            "required": set(edition.required_fields),
            # a contact used up: the edition's rule, what to do, the office's phone
            "contact_used": service.CONTACT_USED in (errors or {}).values(),
            "kept": kept,  # what was typed, kept through a change of language
            "language_form": "identity-form",  # the header's language switch submits it
        },
        status_code=status_code,
        personal=True,
    )


@router.get("/e/{slug}/vote/identity")
async def identity_page(request: Request, slug: str):
    snapshot, _, _ = await progress(request, None, slug, streets=True)  # once the vote began
    draft = drafts.draft_take(request.state.session, get_ctx(request).crypto, edition=slug)
    return await _render_identity(request, snapshot, values=draft, kept=draft is not None)


@router.post(
    "/e/{slug}/vote/identity",
    openapi_extra=form_openapi(IdentityForm, language={"enum": list(LANGUAGES)}),
)
async def identity_submit(request: Request, slug: str):
    """The identity checked; or (``language``: the header's switch, a button of this form)
    the page in another language, with what was typed kept unchecked (never a PESEL)."""
    form = await form_values(request)
    if "language" in form:
        await progress(request, None, slug)  # once the vote began, as the page
        session = request.state.session
        if form["language"] in LANGUAGES:
            session["lang"] = form["language"]
        drafts.draft_keep(session, get_ctx(request).crypto, edition=slug, form=form)
        return see_other(f"/e/{slug}/vote/identity")
    async with unit(request) as db:
        ctx = get_ctx(request)
        snapshot, edition, state = await progress(request, db, slug, streets=True)
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
                request,
                snapshot,
                values=values,
                errors=errors,
                params=error.params,
                status_code=error.status_code,
            )
            return retry_after(page, error)
        state_save(request, state)
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
    _, edition, state = await progress(request, None, slug)
    if state.confirmed:
        return see_other(f"/e/{slug}/vote/choices")
    sent = notice_take(request.state.session, CODE_SENT) == slug  # after "Send a new code"
    return await _render_code(request, edition, state, notice="sent" if sent else None)


@router.post("/e/{slug}/vote/code", openapi_extra=form_openapi(CodeForm))
async def code_submit(request: Request, slug: str):
    async with unit(request) as db:
        ctx = get_ctx(request)
        _, edition, state = await progress(request, db, slug)
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
            state_save(request, state)  # a used-up or expired code is forgotten
            page = await _render_code(
                request,
                edition,
                state,
                errors=error.errors,
                params=error.params,
                status_code=error.status_code,
            )
            return retry_after(page, error)  # a code's tries used up: 429
        state_save(request, state)
        request.state.session.rotate()
        return see_other(f"/e/{slug}/vote/choices")


@router.post("/e/{slug}/vote/code/resend", openapi_extra=form_openapi())
async def code_resend(request: Request, slug: str):
    async with unit(request) as db:
        ctx = get_ctx(request)
        _, edition, state = await progress(request, db, slug)
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
        state_save(request, state)
        notice_put(request.state.session, CODE_SENT, slug)
        return see_other(f"/e/{slug}/vote/code")


# ---- 4. choices ---------------------------------------------------------------------


async def _render_choices(request, snapshot, options, *, errors=None, status_code=200):
    values = ballot_page.values(get_ctx(request).templates, snapshot, options, errors)
    values["live"] = is_htmx(request)  # the summary alone, the limit notice out of band
    values["language_form"] = "choices"  # the header's switch submits the ticks with it
    return await render(
        request, "voting/choices.html", values, block="summary", status_code=status_code,
        personal=True,
    )  # fmt: skip


@router.get("/e/{slug}/vote/choices")
async def choices_page(request: Request, slug: str):
    snapshot, edition, state = await progress(request, None, slug)
    options = choices.ballot_options(snapshot=snapshot, state=state)
    # the limits the ticks kept break (after "Update the summary"), said at once
    return await _render_choices(request, snapshot, options, errors=ballot_page.over(options))


@router.post(
    "/e/{slug}/vote/choices",
    openapi_extra=form_openapi(project=PROJECT_BOXES, language={"enum": list(LANGUAGES)})
    | query_openapi(read={"type": "string"}, live={"type": "string"}, update={"type": "string"}),
)
async def choices_submit(request: Request, slug: str):
    """No JS: save, go to review (?update=1 or ``language``, the header's switch: back to
    the ballot, its summary counted again; ?read=n: project n, which leads back). htmx
    (live): the summary only."""
    snapshot, edition, state = await progress(request, None, slug)
    options = choices.ballot_options(snapshot=snapshot, state=state)
    query = request.query_params
    read = query.get("read")
    htmx = is_htmx(request)
    language = (await request.form()).get("language")
    if language in LANGUAGES:
        request.state.session["lang"] = language
    live = bool(htmx and query.get("live") or read or query.get("update") or language)
    try:
        picked = choices_parse(await form_list(request, "project"))
    except FormInvalid as error:
        return await _render_choices(
            request, snapshot, options, errors=error.errors, status_code=400
        )
    errors = choices.choices_apply(options=options, state=state, picked=picked, strict=not live)
    state_save(request, state)
    if read and any(p.number == read for option in options for p in option.projects):
        return see_other(f"/e/{slug}/projects/{quote(read, safe='')}?from=ballot")
    if live and not htmx:  # the ticks kept, limits or not: the ballot says what they break
        return see_other(f"/e/{slug}/vote/choices")
    if errors or live:
        return await _render_choices(
            request, snapshot, options, errors=errors, status_code=200 if live else 400
        )
    return see_other(f"/e/{slug}/vote/review")


# ---- 5. review and cast -------------------------------------------------------------


@router.get("/e/{slug}/vote/review")
async def review_page(request: Request, slug: str):
    snapshot, edition, state = await progress(request, None, slug)
    options = choices.ballot_options(snapshot=snapshot, state=state)
    if not state.choices:
        return see_other(f"/e/{slug}/vote/choices")
    ctx = get_ctx(request)
    # whose ballot: a person identifying in another tab of this browser takes it over
    voter = await holdings.voter_named(sessions=ctx.db, crypto=ctx.crypto, state=state)
    context = {"edition": edition, "options": options, "reviewed": state.choices_seal()}
    context |= {"voter": voter, "voter_seal": service.voter_seal(ctx.crypto, state)}
    return await render(request, "voting/review.html", context, personal=True)


@router.post("/e/{slug}/vote/cast", openapi_extra=form_openapi(reviewed=TEXT, voter=TEXT))
async def cast(request: Request, slug: str):
    async with unit(request) as db:
        ctx = get_ctx(request)
        session: Session = request.state.session
        snapshot = await snapshot_of(request, db, slug)
        edition = snapshot.edition
        done = receipt_of(session, slug)
        if session.get("vote") is None and done:
            return _to_receipt(ctx, slug, done["code"])  # resubmitted after the receipt
        state = vote_state(request, edition)
        options = choices.ballot_options(snapshot=snapshot, state=state)
        form = await request.form()
        try:
            receipt = await service.ballot_cast(
                session=db,
                crypto=ctx.crypto,
                edition=edition,
                state=state,
                options=options,
                meta=request_meta(request, ctx),
                reviewed=form.get("reviewed"),  # what the page showed
                voter=form.get("voter"),  # and whose ballot it said it was
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
    snapshot = await snapshot_of(request, None, slug)
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
