"""The ``urna`` command."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import typer
from rich.console import Console

app = typer.Typer(help="Urna: participatory budget voting.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
edition_app = typer.Typer(help="Editions.", no_args_is_help=True)
secrets_app = typer.Typer(help="Local secrets for development.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(edition_app, name="edition")
app.add_typer(secrets_app, name="secrets")
console = Console()


def _settings():
    from urna.core.config import get_settings

    return get_settings()


async def _with_session(work):
    from urna.core.db import create_engine, session_factory

    engine = create_engine(_settings().database_url)
    try:
        async with session_factory(engine)() as session:
            return await work(session)
    finally:
        await engine.dispose()


@secrets_app.command("init")
def secrets_init() -> None:
    """Create var/secrets.env with random keys (never overwrites)."""
    from urna.core.config import ensure_local_secrets

    console.print(f"secrets: {ensure_local_secrets()}")


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply the migrations."""
    from urna.core import migrate

    url = _settings().database_url
    if url.startswith("sqlite"):
        Path(url.split("///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(url, revision)
    console.print("[green]database is up to date[/green]")


@db_app.command("downgrade")
def db_downgrade(revision: str = typer.Argument(..., help="e.g. -1 or base")) -> None:
    from urna.core import migrate

    migrate.downgrade(_settings().database_url, revision)


@edition_app.command("import")
def edition_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False),
    slug: str | None = typer.Option(None, help="Edition to add CSV rows to."),
    kind: str = typer.Option("projects", help="For CSV: projects or streets."),
) -> None:
    """Import an edition from JSON, or add projects/streets from CSV to an edition."""
    from urna import seeding
    from urna.core.errors import AppError, FormInvalid

    text = file.read_text(encoding="utf-8-sig")

    async def work(session):
        if file.suffix.lower() == ".json":
            data = json.loads(text)
            edition = await seeding.edition_import(session=session, data=data)
            await session.commit()
            return f"edition {edition.slug} imported"
        if not slug or kind not in ("projects", "streets"):
            raise typer.BadParameter("a CSV import needs --slug and --kind projects|streets")
        count = await seeding.edition_import_csv(session=session, slug=slug, kind=kind, text=text)
        await session.commit()
        return f"{count} {kind} added to {slug}"

    try:
        console.print(asyncio.run(_with_session(work)))
    except FormInvalid as error:
        for field, message in error.errors.items():
            console.print(f"[red]{field}[/red]: {message}")
        raise typer.Exit(1) from error
    except AppError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from error


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
) -> None:
    """Serve the app (uvicorn). Use several workers only with PostgreSQL and Redis."""
    import uvicorn

    uvicorn.run(
        "urna.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,  # urna trusts X-Forwarded-For only from URNA_TRUSTED_PROXIES
        server_header=False,
        log_level="warning",
    )


@app.command()
def demo(host: str = "127.0.0.1", port: int = 8000, seed_only: bool = False) -> None:
    """Set up the demo on the embedded default (SQLite, in-process store) and serve it."""
    from urna import seeding
    from urna.core.config import ensure_local_secrets, get_settings

    os.environ.setdefault("URNA_NOTIFY_PROVIDER", "console")
    os.environ.setdefault("URNA_DEMO_SHOW_CODES", "true")
    ensure_local_secrets()
    get_settings.cache_clear()
    db_upgrade()

    async def work(session):
        return await seeding.demo_seed(session=session)

    edition = asyncio.run(_with_session(work))
    console.print(f"demo edition: [bold]{edition.name}[/bold]")
    console.print(f"open [bold]http://{host}:{port}/[/bold] (Ctrl+C stops)")
    console.print("one-time codes are shown on the page and printed here (demo mode)")
    if not seed_only:
        serve(host=host, port=port, workers=1)


if __name__ == "__main__":
    app()
