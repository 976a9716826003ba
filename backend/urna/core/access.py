"""Who may open a console page: ``require_role`` guards every staff route of every domain.

    @router.get("/staff/logs")
    async def logs(request: Request, user: LogReader, db: DbSession): ...

The three roles are the system's (DESIGN §1). Who is logged in is the staff domain's
business: the app factory hands its resolver to the context (``ctx.staff_resolver``), so
each domain's console screens depend on core alone. Anonymous requests are sent to the
login page (303); a logged-in account without one of the roles gets 403. The allowed roles
of every route are listed in ``staff/matrix.py`` and a test checks them.
"""

from __future__ import annotations

from typing import Annotated, Any, Protocol
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response

from urna.core.context import DbSession, get_ctx
from urna.core.errors import AppError, Forbidden
from urna.core.i18n import N_
from urna.core.templating import is_htmx

ROLES = ("admin", "verifier", "netadmin")
LOGIN_PATH = "/staff/login"


class Principal(Protocol):
    """A logged-in staff account as the console sees it."""

    id: Any
    role: str
    email: str
    name: str


class LoginRequired(AppError):
    status_code = 401
    message = N_("Log in to the staff console.")

    def __init__(self, next_url: str = "/staff") -> None:
        super().__init__()
        self.next_url = next_url


class RoleForbidden(Forbidden):
    message = N_("Your role in the staff console does not give access to this page.")


def require_role(*roles: str):
    """A dependency returning the logged-in account if their role is one of ``roles``."""
    unknown = set(roles) - set(ROLES)
    if not roles or unknown:
        raise ValueError(f"unknown staff roles: {sorted(unknown) or 'none given'}")
    allowed = frozenset(roles)

    async def staff_with_role(request: Request, db: DbSession) -> Principal:
        resolver = get_ctx(request).staff_resolver
        user = await resolver(request, db) if resolver is not None else None
        if user is None:
            session = getattr(request.state, "session", None)
            if session is not None:  # a store outage is a 503, not "log in again"
                await session.available_ensure()
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


# The console's typed guards, one per group of roles that share pages.
AdminUser = Annotated[Principal, Depends(require_role("admin"))]
VerifierUser = Annotated[Principal, Depends(require_role("verifier", "admin"))]
# Who reads the request logs (the public page /privacy/logging names them).
LOG_READER_ROLES = ("netadmin", "verifier", "admin")
LogReader = Annotated[Principal, Depends(require_role(*LOG_READER_ROLES))]
AnyStaff = Annotated[Principal, Depends(require_role("admin", "verifier", "netadmin"))]
