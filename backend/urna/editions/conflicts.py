"""The writes of an edition's setup that a constraint may refuse, and how each refusal is
told to the office: a unique constraint on the field it concerns (``FormInvalid``), in a
SAVEPOINT, so that the request's unit of work goes on and its page can still be read."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.db import violated_constraint
from urna.core.errors import AppError, FormInvalid
from urna.core.i18n import N_

EDITION_EXISTS = N_("An edition with this address already exists.")
AREA_EXISTS = N_("An area with this code already exists.")
POOL_EXISTS = N_("A pool with this code already exists.")
PROJECT_EXISTS = N_("This project number is already in the edition.")
STREET_EXISTS = N_("This street is already in the register.")
ROWS_REPEAT = N_("The edition data repeat a street or a project number.")
# The unique constraint a write broke -> the field it is reported on.
CONFLICTS = {
    "uq_edition_slug": ("slug", EDITION_EXISTS),
    "uq_area_edition_id_code": ("code", AREA_EXISTS),
    "uq_pool_edition_id_code": ("code", POOL_EXISTS),
    "uq_project_edition_id_number": ("number", PROJECT_EXISTS),
    "uq_street_edition_id_name": ("name", STREET_EXISTS),
}


@asynccontextmanager
async def unique_writes(
    session: AsyncSession, *, otherwise: AppError | None = None
) -> AsyncIterator[None]:
    """Writes a constraint may refuse, in a SAVEPOINT: refused, they are undone and a
    unique conflict is reported on its field (``FormInvalid``); any other refusal (a row
    of another domain still refers to the one written) raises ``otherwise`` when given."""
    try:
        async with session.begin_nested():
            yield
    except IntegrityError as error:
        constraint = violated_constraint(error)
        if constraint not in CONFLICTS and otherwise is not None:
            raise otherwise from error
        field, message = CONFLICTS.get(constraint, ("__all__", ROWS_REPEAT))
        raise FormInvalid({field: message}) from error
