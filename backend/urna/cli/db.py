"""``urna db``: the database schema (Alembic migrations)."""

from __future__ import annotations

from pathlib import Path

import typer

from urna.cli.common import console, expected_failures, settings

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply the migrations."""
    from urna.core import migrate

    url = settings().database_url
    if url.startswith("sqlite"):
        Path(url.split("///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    with expected_failures():
        migrate.upgrade(url, revision)
    console.print("[green]database is up to date[/green]")


@db_app.command("downgrade", context_settings={"ignore_unknown_options": True})
def db_downgrade(revision: str = typer.Argument(..., help="e.g. -1 or base")) -> None:
    """Undo migrations down to REVISION (-1: the last one; base: all)."""
    from urna.core import migrate

    with expected_failures():
        migrate.downgrade(settings().database_url, revision)
    console.print(f"[green]database downgraded ({revision})[/green]")
