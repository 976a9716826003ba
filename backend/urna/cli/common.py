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
    """An expected refusal (an application error, a form's field errors, settings that do
    not hold, a database that cannot be reached or is not migrated) prints in red, one
    line each, and exits 1: never a traceback."""
    from alembic.util.exc import CommandError
    from pydantic import ValidationError
    from pydantic_settings import SettingsError
    from sqlalchemy.exc import ArgumentError, DBAPIError

    from urna.core.errors import AppError, FormInvalid

    try:
        yield
    except FormInvalid as error:
        for field, message in error.errors.items():
            console.print(f"[red]{escape(field)}[/red]: {escape(message)}")
        raise typer.Exit(1) from error
    except (AppError, CommandError) as error:
        fail(str(error))
    except ValidationError as error:  # the settings (URNA_* and var/secrets.env)
        for problem in error.errors():
            where = "URNA_" + "_".join(map(str, problem["loc"])).upper() if problem["loc"] else ""
            console.print(f"[red]settings: {escape(where)}[/red] {escape(problem['msg'])}")
        raise typer.Exit(1) from error
    except (SettingsError, ArgumentError) as error:
        fail(f"settings: {_first_line(error)}")
    except DBAPIError as error:  # unreachable, missing, not migrated, refusing a value
        fail(f"database error: {_first_line(error)}{_hint(error)}")
    except OSError as error:  # the server's port closed, a file that cannot be read
        fail(f"database error: {_first_line(error)}")


def _hint(error: Exception) -> str:
    """What to do about a database that has not been given its tables."""
    text = str(error)
    if ("relation" in text and "does not exist" in text) or "no such table" in text:
        return " — the schema is not there yet: run `urna db upgrade`"
    return ""


def _first_line(error: Exception) -> str:
    """SQLAlchemy appends the statement and a link on further lines."""
    return (str(error).splitlines() or [type(error).__name__])[0]


def run(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work(session)`` as one unit of work, committed when it returns; expected
    failures end the command with one line (`expected_failures`)."""
    with expected_failures():
        return asyncio.run(_in_transaction(work))
