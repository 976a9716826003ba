"""What every ``urna`` command shares: the console, the settings, one unit of work per
command, and clean one-line errors for what is expected to go wrong."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.ext.asyncio import AsyncSession

console = Console()
T = TypeVar("T")


def settings():
    from urna.core.config import get_settings

    return get_settings()


async def _in_transaction(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    from urna.core.db import create_engine, session_factory, transaction

    engine = create_engine(settings().database_url)
    try:
        async with transaction(session_factory(engine)) as session:
            return await work(session)
    finally:
        await engine.dispose()


def fail(message: str) -> NoReturn:
    console.print(f"[red]{escape(message)}[/red]")
    raise typer.Exit(1)


@contextmanager
def expected_failures() -> Iterator[None]:
    """An expected refusal (an application error, a form's field errors, a database that
    cannot be reached or migrated) prints in red, one line each, and exits 1: never a
    traceback."""
    from alembic.util.exc import CommandError
    from sqlalchemy.exc import InterfaceError, OperationalError

    from urna.core.errors import AppError, FormInvalid

    try:
        yield
    except FormInvalid as error:
        for field, message in error.errors.items():
            console.print(f"[red]{escape(field)}[/red]: {escape(message)}")
        raise typer.Exit(1) from error
    except (AppError, CommandError) as error:
        fail(str(error))
    except (OSError, OperationalError, InterfaceError) as error:
        fail(f"database error: {_first_line(error)}")


def _first_line(error: Exception) -> str:
    """SQLAlchemy appends the statement and a link on further lines."""
    return (str(error).splitlines() or [type(error).__name__])[0]


def run(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work(session)`` as one unit of work, committed when it returns; expected
    failures end the command with one line (`expected_failures`)."""
    with expected_failures():
        return asyncio.run(_in_transaction(work))
