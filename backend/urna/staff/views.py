"""Staff console: login (password, then TOTP; enrolment at the first login), logout,
the start page, one's own account, and the accounts of others (admin)."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.access import LOGIN_PATH, AdminUser, AnyStaff
from urna.core.context import AppContext, Ctx, DbSession, get_ctx
from urna.core.errors import FormInvalid, retry_after
from urna.core.forms import form_openapi, form_parse
from urna.core.i18n import LANGUAGES
from urna.core.sessions import end_session
from urna.core.views import client_ip, form_values, render, safe_next, see_other
from urna.staff import credentials, login, service
from urna.staff.deps import SESSION_KEY, current_staff
from urna.staff.models import ROLE_NAMES
from urna.staff.schemas import (
    ActiveSetIn,
    CodeIn,
    LoginIn,
    PasswordChangeIn,
    ReasonIn,
    RoleChangeIn,
    StaffCreateIn,
)

router = APIRouter()
PENDING_KEY = "pending"
CLEAR_SITE_DATA = '"cache", "cookies", "storage"'


def staff_next(target: str | None) -> str:
    target = safe_next(target)
    return target if target.startswith("/staff") else "/staff"


def _throttle(ctx: AppContext) -> login.LoginThrottle:
    return login.LoginThrottle(ctx.limiter, ctx.settings)


# ---- login --------------------------------------------------------------------------


async def _login_form(request, *, values, errors=None, params=None, status_code=200):
    return await render(
        request,
        "staff/login.html",
        {"values": values, "errors": errors or {}, "params": params or {}},
        status_code=status_code,
    )


@router.get("/staff/login")
async def login_page(request: Request, db: DbSession, next: str | None = None):
    await request.state.session.available_ensure()  # no login form a store outage would void
    if await current_staff(request, db) is not None:
        return see_other(staff_next(next))
    return await _login_form(request, values={"next": staff_next(next)})


@router.post("/staff/login", openapi_extra=form_openapi(LoginIn, next={"type": "string"}))
async def login_submit(request: Request, db: DbSession, ctx: Ctx):
    form = await form_values(request)
    values = {"email": form.get("email", "").strip(), "next": staff_next(form.get("next"))}
    try:
        data = form_parse(LoginIn, form)
        user = await login.login_password(
            session=db,
            crypto=ctx.crypto,
            throttle=_throttle(ctx),
            email=data.email,
            password=data.password,
            ip=client_ip(request),
        )
    except FormInvalid as error:
        return await _login_form(request, values=values, errors=error.errors, status_code=400)
    except (login.LoginFailed, login.LoginThrottled) as error:
        # Answered, not raised: the unit of work commits the failure's audit event.
        page = await _login_form(
            request,
            values=values,
            errors={"__all__": error.message},
            params=error.params,
            status_code=error.status_code,
        )
        return retry_after(page, error)
    session = request.state.session
    session.pop(SESSION_KEY)  # a new login replaces whatever this browser had
    session[PENDING_KEY] = {"id": user.id, "at": time.time(), "next": values["next"]}
    session.rotate()
    return see_other("/staff/login/code")


def _pending(request: Request) -> dict | None:
    data = request.state.session.get(PENDING_KEY)
    if not data or time.time() - data.get("at", 0) > login.PENDING_SECONDS:
        return None
    return data


async def _code_form(request, db, user_id: int, *, errors=None, params=None, status_code=200):
    user = await service.staff_get(session=db, user_id=user_id)
    enrolment = (
        credentials.totp_enrolment(crypto=get_ctx(request).crypto, user=user)
        if user.totp_enrolled_at is None
        else None
    )
    return await render(
        request,
        "staff/code.html",
        {"enrolment": enrolment, "errors": errors or {}, "params": params or {}},
        status_code=status_code,
        personal=enrolment is not None,
    )


@router.get("/staff/login/code")
async def code_page(request: Request, db: DbSession):
    pending = _pending(request)
    if pending is None:
        return see_other(LOGIN_PATH)
    return await _code_form(request, db, pending["id"])


@router.post("/staff/login/code", openapi_extra=form_openapi(CodeIn))
async def code_submit(request: Request, db: DbSession, ctx: Ctx):
    pending = _pending(request)
    if pending is None:
        return see_other(LOGIN_PATH)
    try:
        data = form_parse(CodeIn, await form_values(request))
        user = await login.login_code(
            session=db,
            crypto=ctx.crypto,
            throttle=_throttle(ctx),
            user_id=pending["id"],
            code=data.code,
            ip=client_ip(request),
        )
    except FormInvalid as error:
        return await _code_form(request, db, pending["id"], errors=error.errors, status_code=400)
    except (login.CodeInvalid, login.LoginThrottled) as error:
        # Answered, not raised: the unit of work commits the failure's audit event.
        page = await _code_form(
            request,
            db,
            pending["id"],
            errors={"code": error.message},
            params=error.params,
            status_code=error.status_code,
        )
        return retry_after(page, error)
    except login.LoginExpired:
        request.state.session.pop(PENDING_KEY)
        return see_other(LOGIN_PATH)
    session = request.state.session
    session.pop(PENDING_KEY)
    session[SESSION_KEY] = {"id": user.id, "gen": user.session_generation}
    session["created"] = time.time()  # the absolute timeout runs from the login
    session.rotate()
    return see_other(staff_next(pending.get("next")))


@router.get("/staff/lang/{code}")
async def staff_language(request: Request, code: str, next: str | None = None):
    if code in LANGUAGES:
        request.state.session["lang"] = code
    return see_other(staff_next(next))


@router.post("/staff/logout", openapi_extra=form_openapi())
async def logout(request: Request, db: DbSession, user: AnyStaff):
    await login.logout_record(session=db, user_id=user.id, ip=client_ip(request))
    end_session(request.state.session)
    response = see_other(LOGIN_PATH)
    response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response


# ---- start page and own account -----------------------------------------------------


@router.get("/staff")
async def dashboard(request: Request, user: AnyStaff):
    return await render(request, "staff/dashboard.html", {"user": user})


async def _account_page(request, user, *, errors=None, params=None, done=None, status_code=200):
    return await render(
        request,
        "staff/account.html",
        {"user": user, "errors": errors or {}, "params": params or {}, "done": done},
        status_code=status_code,
    )


@router.get("/staff/account")
async def account_page(request: Request, user: AnyStaff, done: str | None = None):
    return await _account_page(request, user, done=done)


@router.post("/staff/account/password", openapi_extra=form_openapi(PasswordChangeIn))
async def password_change(request: Request, db: DbSession, user: AnyStaff):
    try:
        data = form_parse(PasswordChangeIn, await form_values(request))
        fresh = await service.password_change(session=db, user_id=user.id, data=data)
    except FormInvalid as error:
        return await _account_page(
            request, user, errors=error.errors, params=error.params, status_code=400
        )
    session = request.state.session
    session[SESSION_KEY] = {"id": fresh.id, "gen": fresh.session_generation}
    session.rotate()
    return see_other("/staff/account?done=password")


# ---- accounts (admin) ---------------------------------------------------------------


async def _users_page(request, db, *, values=None, errors=None, status_code=200):
    return await render(
        request,
        "staff/users.html",
        {
            "users": await service.staff_list(session=db),
            "roles": ROLE_NAMES,
            "values": values or {},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/staff/users")
async def users_page(request: Request, db: DbSession, user: AdminUser):
    return await _users_page(request, db)


@router.post("/staff/users", openapi_extra=form_openapi(StaffCreateIn))
async def user_create(request: Request, db: DbSession, ctx: Ctx, user: AdminUser):
    form = await form_values(request)
    try:
        account, password, _secret = await service.staff_create(
            session=db, crypto=ctx.crypto, data=form_parse(StaffCreateIn, form), actor_id=user.id
        )
    except FormInvalid as error:
        return await _users_page(request, db, values=form, errors=error.errors, status_code=400)
    except service.StaffExists as error:
        errors = {"email": error.message}
        return await _users_page(request, db, values=form, errors=errors, status_code=409)
    return await _password_shown(request, account, password, created=True)


async def _password_shown(request, account, password: str, *, created: bool):
    """The password is shown once, on this response only (no-store), and never kept."""
    return await render(
        request,
        "staff/secret.html",
        {"account": account, "password": password, "created": created},
        personal=True,
    )


async def _user_page(request, db, user_id: int, *, errors=None, refused="", status_code=200):
    """An account's page; ``refused`` names the form whose ``errors`` are shown beside it."""
    account = await service.staff_get(session=db, user_id=user_id)
    context = {"account": account, "roles": ROLE_NAMES, "errors": errors or {}, "refused": refused}
    return await render(request, "staff/user.html", context, status_code=status_code)


@router.get("/staff/users/{user_id}")
async def user_page(request: Request, user_id: int, db: DbSession, user: AdminUser):
    return await _user_page(request, db, user_id)


async def _user_change(request: Request, db: AsyncSession, user_id: int, schema, change, name):
    """Parse the form ``name`` of a change to another account, make it, back to the
    account."""
    try:
        await change(form_parse(schema, await form_values(request)))
    except FormInvalid as error:
        return await _user_page(
            request, db, user_id, errors=error.errors, refused=name, status_code=400
        )
    return see_other(f"/staff/users/{user_id}")


@router.post("/staff/users/{user_id}/role", openapi_extra=form_openapi(RoleChangeIn))
async def user_role(request: Request, user_id: int, db: DbSession, user: AdminUser):
    async def change(data: RoleChangeIn):
        await service.staff_role_set(
            session=db, actor_id=user.id, user_id=user_id, role=data.role, reason=data.reason
        )

    return await _user_change(request, db, user_id, RoleChangeIn, change, "role")


@router.post(
    "/staff/users/{user_id}/active",
    openapi_extra=form_openapi(ActiveSetIn, active={"enum": ["0", "1"]}),
)
async def user_active(request: Request, user_id: int, db: DbSession, user: AdminUser):
    async def change(data: ActiveSetIn):
        await service.staff_active_set(
            session=db, actor_id=user.id, user_id=user_id, active=data.active, reason=data.reason
        )

    return await _user_change(request, db, user_id, ActiveSetIn, change, "active")


@router.post("/staff/users/{user_id}/totp-reset", openapi_extra=form_openapi(ReasonIn))
async def user_totp_reset(request: Request, user_id: int, db: DbSession, ctx: Ctx, user: AdminUser):
    async def change(data: ReasonIn):
        await service.staff_totp_reset(
            session=db, crypto=ctx.crypto, actor_id=user.id, user_id=user_id, reason=data.reason
        )

    return await _user_change(request, db, user_id, ReasonIn, change, "totp")


@router.post("/staff/users/{user_id}/password-reset", openapi_extra=form_openapi(ReasonIn))
async def user_password_reset(request: Request, user_id: int, db: DbSession, user: AdminUser):
    try:
        data = form_parse(ReasonIn, await form_values(request))
        account, password = await service.staff_password_reset(
            session=db, actor_id=user.id, user_id=user_id, reason=data.reason
        )
    except FormInvalid as error:
        return await _user_page(
            request, db, user_id, errors=error.errors, refused="password", status_code=400
        )
    return await _password_shown(request, account, password, created=False)
