"""``urna edition``: bring an edition in from JSON, CSV rows or a pabulib file."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer

from urna.cli.common import console, expected_failures, fail, run, settings
from urna.core.text import counted

edition_app = typer.Typer(help="Editions.", no_args_is_help=True)


@edition_app.command("import")
def edition_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False),
    slug: str | None = typer.Option(None, help="Edition to add CSV rows to."),
    kind: str = typer.Option("projects", help="For CSV: projects or streets."),
) -> None:
    """Import an edition from JSON, or add projects/streets from CSV to an edition."""
    from urna.editions import service as editions
    from urna.privacy import service as privacy

    as_json = file.suffix.lower() == ".json"
    if not as_json and (not slug or kind not in ("projects", "streets")):
        raise typer.BadParameter("a CSV import needs --slug and --kind projects|streets")
    raw = file.read_bytes()
    data, text = None, ""
    if as_json:
        with expected_failures():  # the console's checks: size, depth, repeated keys
            data = editions.edition_json_read(raw)
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            fail(f"{file.name}: {error}")

    async def work(session):
        if as_json:
            edition = await privacy.edition_import(session=session, data=data)
            if not data.get("clause"):
                return (
                    f"edition {edition.slug} imported without an information clause: nobody"
                    " can vote online until the office publishes one (console: the edition's"
                    " clause)"
                )
            return f"edition {edition.slug} imported"
        edition = await editions.edition_get(session=session, slug=slug)
        count = await editions.rows_import(
            session=session, edition=edition, kind=kind, text=text, actor_id=None
        )
        return f"{counted(count, kind.removesuffix('s'))} added to {slug}"

    console.print(run(work))
    asyncio.run(editions_announce())


async def editions_announce() -> None:
    """Tell the running app's processes that an edition changed (after the commit), as
    the console does: residents see the new projects or streets at once."""
    from urna.core.store import STORE_ERRORS, create_store
    from urna.editions.snapshot import generation_bump

    config = settings()
    store = create_store(config.redis_url, prefix=config.redis_prefix)
    try:
        await generation_bump(store)
    except STORE_ERRORS:
        console.print(
            f"[yellow]the store is unreachable: the site shows the change within "
            f"{config.edition_cache_seconds:g} s[/yellow]"
        )
    finally:
        await store.close()


@edition_app.command("import-pabulib")
def edition_import_pabulib(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A pabulib .pb file."),
    slug: str | None = typer.Option(None, help="The edition's address (default: from the name)."),
) -> None:
    """Create an edition with the projects, rule and every ballot of a pabulib file."""
    from rich.progress import Progress

    from urna.results.importer import edition_import_pabulib as import_file

    with Progress(console=console, transient=True) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        summary = run(
            lambda session: import_file(session=session, path=file, slug=slug, progress=progress)
        )
    console.print(
        f"edition {summary.edition.slug}: {summary.projects} projects, "
        f"{summary.ballots} ballots, {summary.choices} choices"
    )
    for notice in summary.notices:
        console.print(f"[yellow]{notice}[/yellow]")
