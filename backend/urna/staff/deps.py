"""Who may do what in the staff console: ``require_role`` guards every staff route.

    @router.get("/staff/logs", dependencies=...)
    async def logs(user: StaffUser = Depends(require_role("netadmin", "verifier", "admin")))

Anonymous requests are sent to the login page (303); a logged-in account without one of
the roles gets 403. The allowed roles of every route are listed in ``staff/matrix.py``.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.context import get_db
from urna.core.errors import AppError, Forbidden
from urna.core.i18n import N_
from urna.core.templating import is_htmx
from urna.staff import service
from urna.staff.models import ROLE_NAMES, StaffUser

ROLES = ROLE_NAMES
LOGIN_PATH = "/staff/login"
SESSION_KEY = "staff"


class LoginRequired(AppError):
    status_code = 401
    message = N_("Log in to the staff console.")

    def __init__(self, next_url: str = "/staff") -> None:
        super().__init__()
        self.next_url = next_url


class RoleForbidden(Forbidden):
    message = N_("Your role in the staff console does not give access to this page.")


async def current_staff(request: Request, db: AsyncSession) -> StaffUser | None:
    """The logged-in account of this request's staff session, if it may still act.

    Read from the database on every request: a disabled account, or one whose password
    or second factor was reset, loses its sessions at once."""
    if not request.url.path.startswith("/staff"):
        return None  # only the staff session (cookie scoped to /staff) can carry a login
    session = getattr(request.state, "session", None)
    data = session.get(SESSION_KEY) if session is not None else None
    if not data:
        return None
    user = await service.staff_from_session(session=db, data=data)
    if user is None:
        session.pop(SESSION_KEY)
        return None
    # Detached: a rollback later in the request (a refused insert) must not expire it
    # while the page that reports the refusal is being rendered.
    db.expunge(user)
    request.state.staff = user
    return user


def require_role(*roles: str):
    """A dependency returning the logged-in ``StaffUser`` if their role is one of ``roles``."""
    unknown = set(roles) - set(ROLES)
    if not roles or unknown:
        raise ValueError(f"unknown staff roles: {sorted(unknown) or 'none given'}")
    allowed = frozenset(roles)

    async def staff_with_role(request: Request, db: AsyncSession = Depends(get_db)) -> StaffUser:
        user = await current_staff(request, db)
        if user is None:
            path = request.url.path if request.method == "GET" else "/staff"
            raise LoginRequired(next_url=path)
        if user.role not in allowed:
            request.state.refusal = f"role {user.role} not in {sorted(allowed)}"
            raise RoleForbidden()
        return user

    staff_with_role.roles = allowed  # type: ignore[attr-defined] - for readers and tests
    return staff_with_role


async def login_required_handler(request: Request, error: LoginRequired) -> Response:
    target = LOGIN_PATH + "?" + urlencode({"next": error.next_url})
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)
