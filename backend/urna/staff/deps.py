"""The staff domain's answer to "who is logged in" (``core.access`` asks it through the
app context): the account of this request's staff session, read from the database."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from urna.staff import login
from urna.staff.models import StaffUser

SESSION_KEY = "staff"


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
    user = await login.staff_from_session(session=db, data=data)
    if user is None:
        session.pop(SESSION_KEY)
        return None
    # Detached: a rollback later in the request (a refused insert) must not expire it
    # while the page that reports the refusal is being rendered.
    db.expunge(user)
    request.state.staff = user
    return user
