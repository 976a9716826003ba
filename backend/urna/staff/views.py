"""Staff console: login (password, then TOTP; enrolment at the first login), logout,
the start page, one's own account, and the accounts of others (admin)."""

from __future__ import annotations

import time

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.access import LOGIN_PATH, ROLES, require_role
from urna.core.context import DbSession, get_ctx
from urna.core.errors import FormInvalid
from urna.core.i18n import LANGUAGES, N_
from urna.core.sessions import end_session
from urna.core.views import client_ip, form_values, render, safe_next, see_other
from urna.staff import service
from urna.staff.deps import SESSION_KEY, current_staff
from urna.staff.models import ROLE_NAMES, StaffUser

router = APIRouter()
PENDING_KEY = "pending"
CLEAR_SITE_DATA = '"cache", "cookies", "storage"'
any_staff = require_role(*ROLES)
admin_only = require_role("admin")


def staff_next(target: str | None) -> str:
    target = safe_next(target)
    return target if target.startswith("/staff") else "/staff"


def _throttle(request: Request) -> service.LoginThrottle:
    ctx = get_ctx(request)
    return service.LoginThrottle(ctx.limiter, ctx.settings)


# ---- login --------------------------------------------------------------------------


async def _login_form(request, *, values=None, errors=None, status_code=200):
    return await render(
        request,
        "staff/login.html",
        {"values": values or {}, "errors": errors or {}, "params": {}},
        status_code=status_code,
    )


@router.get("/staff/login")
async def login_page(request: Request, db: DbSession, next: str | None = None):
    if await current_staff(request, db) is not None:
        return see_other(staff_next(next))
    return await _login_form(request, values={"next": staff_next(next)})


@router.post("/staff/login")
async def login_submit(request: Request, db: DbSession):
    form = await form_values(request)
    email, password = form.get("email", "").strip(), form.get("password", "")
    values = {"email": email, "next": staff_next(form.get("next"))}
    if not email or not password:
        errors = {name: N_("This field is required.") for name in ("email", "password")}
        errors = {k: v for k, v in errors.items() if not form.get(k, "").strip()}
        return await _login_form(request, values=values, errors=errors, status_code=400)
    try:
        user = await service.login_password(
            session=db,
            throttle=_throttle(request),
            email=email,
            password=password,
            ip=client_ip(request),
        )
    except (service.LoginFailed, service.LoginThrottled) as error:
        return await render(
            request,
            "staff/login.html",
            {"values": values, "errors": {"__all__": error.message}, "params": error.params},
            status_code=error.status_code,
        )
    session = request.state.session
    session.pop(SESSION_KEY)  # a new login replaces whatever this browser had
    session[PENDING_KEY] = {"id": user.id, "at": time.time(), "next": values["next"]}
    session.rotate()
    return see_other("/staff/login/code")


def _pending(request: Request) -> dict | None:
    data = request.state.session.get(PENDING_KEY)
    if not data or time.time() - data.get("at", 0) > service.PENDING_SECONDS:
        return None
    return data


async def _code_form(request, db, user_id: int, *, errors=None, params=None, status_code=200):
    user = await service.staff_get(session=db, user_id=user_id)
    ctx = get_ctx(request)
    enrolment = (
        service.totp_enrolment(crypto=ctx.crypto, user=user)
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


@router.post("/staff/login/code")
async def code_submit(request: Request, db: DbSession):
    pending = _pending(request)
    if pending is None:
        return see_other(LOGIN_PATH)
    form = await form_values(request)
    ctx = get_ctx(request)
    try:
        user = await service.login_code(
            session=db,
            crypto=ctx.crypto,
            throttle=_throttle(request),
            user_id=pending["id"],
            code=form.get("code", ""),
            ip=client_ip(request),
        )
    except (service.CodeInvalid, service.LoginThrottled) as error:
        return await _code_form(
            request,
            db,
            pending["id"],
            errors={"code": error.message},
            params=error.params,
            status_code=error.status_code,
        )
    except service.LoginExpired:
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


@router.post("/staff/logout")
async def logout(
    request: Request,
    db: DbSession,
    user: StaffUser = Depends(any_staff),
):
    await service.logout_record(session=db, user=user, ip=client_ip(request))
    end_session(request.state.session)
    response = see_other(LOGIN_PATH)
    response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response


# ---- start page and own account -----------------------------------------------------


@router.get("/staff")
async def dashboard(request: Request, user: StaffUser = Depends(any_staff)):
    return await render(request, "staff/dashboard.html", {"user": user})


async def _account_page(request, user, *, errors=None, params=None, done=None, status_code=200):
    return await render(
        request,
        "staff/account.html",
        {"user": user, "errors": errors or {}, "params": params or {}, "done": done},
        status_code=status_code,
    )


@router.get("/staff/account")
async def account_page(request: Request, done: str | None = None, user=Depends(any_staff)):
    return await _account_page(request, user, done=done)


@router.post("/staff/account/password")
async def password_change(
    request: Request,
    db: DbSession,
    user: StaffUser = Depends(any_staff),
):
    form = await form_values(request)
    try:
        fresh = await service.password_change(
            session=db,
            user_id=user.id,
            current=form.get("current_password", ""),
            new=form.get("new_password", ""),
            repeat=form.get("repeat_password", ""),
        )
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
async def users_page(request: Request, db: DbSession, user=Depends(admin_only)):
    return await _users_page(request, db)


@router.post("/staff/users")
async def user_create(request: Request, db: DbSession, user=Depends(admin_only)):
    form = await form_values(request)
    try:
        account, password, _secret = await service.staff_create(
            session=db,
            crypto=get_ctx(request).crypto,
            form=form,
            actor_id=user.id,
            reason=form.get("reason", ""),
        )
    except FormInvalid as error:
        return await _users_page(request, db, values=form, errors=error.errors, status_code=400)
    except service.StaffExists as error:
        errors = {"email": error.message}
        return await _users_page(request, db, values=form, errors=errors, status_code=409)
    # The password is shown once, on this response only (no-store), and never kept.
    return await render(
        request,
        "staff/secret.html",
        {"account": account, "password": password, "created": True},
        personal=True,
    )


async def _user_page(request, db, user_id: int, *, errors=None, status_code=200):
    account = await service.staff_get(session=db, user_id=user_id)
    return await render(
        request,
        "staff/user.html",
        {"account": account, "roles": ROLE_NAMES, "errors": errors or {}},
        status_code=status_code,
    )


@router.get("/staff/users/{user_id}")
async def user_page(request: Request, user_id: int, db: DbSession, user=Depends(admin_only)):
    return await _user_page(request, db, user_id)


async def _user_change(request: Request, db: AsyncSession, user_id: int, change):
    form = await form_values(request)
    try:
        await change(form)
    except FormInvalid as error:
        return await _user_page(request, db, user_id, errors=error.errors, status_code=400)
    return see_other(f"/staff/users/{user_id}")


@router.post("/staff/users/{user_id}/role")
async def user_role(request: Request, user_id: int, db: DbSession, user=Depends(admin_only)):
    async def change(form):
        await service.staff_role_set(
            session=db,
            actor=user,
            user_id=user_id,
            role=form.get("role", ""),
            reason=form.get("reason", ""),
        )

    return await _user_change(request, db, user_id, change)


@router.post("/staff/users/{user_id}/active")
async def user_active(request: Request, user_id: int, db: DbSession, user=Depends(admin_only)):
    async def change(form):
        await service.staff_active_set(
            session=db,
            actor=user,
            user_id=user_id,
            active=form.get("active") == "1",
            reason=form.get("reason", ""),
        )

    return await _user_change(request, db, user_id, change)


@router.post("/staff/users/{user_id}/totp-reset")
async def user_totp_reset(
    request: Request,
    user_id: int,
    db: DbSession,
    user=Depends(admin_only),
):
    async def change(form):
        await service.staff_totp_reset(
            session=db,
            crypto=get_ctx(request).crypto,
            actor=user,
            user_id=user_id,
            reason=form.get("reason", ""),
        )

    return await _user_change(request, db, user_id, change)


@router.post("/staff/users/{user_id}/password-reset")
async def user_password_reset(
    request: Request,
    user_id: int,
    db: DbSession,
    user=Depends(admin_only),
):
    form = await form_values(request)
    try:
        account, password = await service.staff_password_reset(
            session=db, actor=user, user_id=user_id, reason=form.get("reason", "")
        )
    except FormInvalid as error:
        return await _user_page(request, db, user_id, errors=error.errors, status_code=400)
    return await render(
        request,
        "staff/secret.html",
        {"account": account, "password": password, "created": False},
        personal=True,
    )
