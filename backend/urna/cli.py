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
staff_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
logs_app = typer.Typer(help="Request logs.", no_args_is_help=True)
results_app = typer.Typer(help="Results.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(staff_app, name="staff")
app.add_typer(audit_app, name="audit")
app.add_typer(logs_app, name="logs")
app.add_typer(edition_app, name="edition")
app.add_typer(secrets_app, name="secrets")
app.add_typer(results_app, name="results")
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
    from urna.core.errors import AppError, FormInvalid
    from urna.editions import service as editions
    from urna.privacy import service as privacy

    text = file.read_text(encoding="utf-8-sig")

    async def work(session):
        if file.suffix.lower() == ".json":
            data = json.loads(text)
            edition = await privacy.edition_import(session=session, data=data)
            await session.commit()
            return f"edition {edition.slug} imported"
        if not slug or kind not in ("projects", "streets"):
            raise typer.BadParameter("a CSV import needs --slug and --kind projects|streets")
        edition = await editions.edition_get(session=session, slug=slug)
        count = await editions.rows_import(
            session=session, edition=edition, kind=kind, text=text, actor_id=None
        )
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


def _run_or_exit(work):
    """Run ``work(session)``; an expected refusal prints in red and exits 1, never a trace."""
    from urna.core.errors import AppError

    try:
        return asyncio.run(_with_session(work))
    except AppError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from error


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

        summary = _run_or_exit(
            lambda session: import_file(session=session, path=file, slug=slug, progress=progress)
        )
    console.print(
        f"edition {summary.edition.slug}: {summary.projects} projects, "
        f"{summary.ballots} ballots, {summary.choices} choices"
    )


@results_app.command("compute")
def results_compute(
    edition: str = typer.Argument(..., help="The edition's address (slug)."),
    as_json: bool = typer.Option(False, "--json", help="Print the whole result as JSON."),
) -> None:
    """Compute the results from the counted ballots and print them (nothing is stored)."""
    from rich.table import Table

    from urna.editions import service as editions
    from urna.results import service as results
    from urna.results.rules import format_money

    async def work(session):
        found = await editions.edition_get(session=session, slug=edition)
        return await results.results_compute(session=session, edition=found)

    payload = _run_or_exit(work)
    if as_json:
        typer.echo(results.canonical_json(payload))
        return
    for pool in payload["pools"]:
        table = Table(title=f"{pool['name']} ({pool['code']}, {pool['rule']})")
        for column in ("#", "project", "votes", "points", "cost", "funded"):
            table.add_column(column)
        for row in pool["projects"]:
            table.add_row(
                str(row["rank"]),
                row["number"],
                str(row["votes"]),
                str(row["points"]),
                format_money(row["cost"]),
                "yes" if row["funded"] else row["outcome"],
            )
        console.print(table)
        console.print(
            f"funded: {', '.join(pool['funded']) or '-'}; budget {format_money(pool['budget'])}"
            f" + received {format_money(pool['received'])}, spent {format_money(pool['spent'])},"
            f" left {format_money(pool['money_left'])}"
        )


@staff_app.command("create")
def staff_create(
    email: str = typer.Option(..., help="The person's e-mail address (the login)."),
    role: str = typer.Option(..., help="admin, verifier or netadmin."),
    name: str = typer.Option("", help="Full name (defaults to the e-mail address)."),
) -> None:
    """Create a staff account and print its generated password (shown once). The second
    factor (TOTP) is enrolled with a QR code at the first login."""
    from urna.core.crypto import Crypto
    from urna.core.errors import AppError, FormInvalid
    from urna.staff import service

    async def work(session):
        return await service.staff_create(
            session=session,
            crypto=Crypto(_settings()),
            form={"email": email, "name": name or email, "role": role},
            actor_id=None,
            reason="urna staff create (command line)",
        )

    try:
        user, password, _secret = asyncio.run(_with_session(work))
    except FormInvalid as error:
        for field, message in error.errors.items():
            console.print(f"[red]{field}[/red]: {message}")
        raise typer.Exit(1) from error
    except AppError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from error
    console.print(f"staff account [bold]{user.email}[/bold] ({user.role}) created")
    console.print(f"password (shown once): [bold]{password}[/bold]")
    console.print("log in at /staff/login; the second factor is enrolled at the first login")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the whole hash chain of the audit log; name the first broken link."""
    from urna.audit import service

    async def work(session):
        return await service.audit_check(session=session)

    report = asyncio.run(_with_session(work))
    if report.ok:
        console.print(f"[green]audit chain intact[/green]: {report.events} events")
        return
    console.print(
        f"[red]audit chain broken at event {report.broken_at}[/red]: {report.problem} "
        f"({report.events} events verified before it)"
    )
    raise typer.Exit(1)


@logs_app.command("prune")
def logs_prune(
    keep_days: int | None = typer.Option(None, help="Delete logs older than this."),
    truncate_ip_after_days: int | None = typer.Option(
        None, help="Cut addresses to /24 (IPv6 /48) and drop host names after this."
    ),
    drop_session_after_days: int | None = typer.Option(
        None, help="Drop session hashes after this."
    ),
) -> None:
    """Apply the retention of the privacy policy (URNA_REQUEST_LOG_* settings; an option
    given here overrides its setting). By default logs are kept whole, indefinitely."""
    from urna.requestlog import service

    settings = _settings()

    def pick(given: int | None, configured: int | None) -> int | None:
        return given if given is not None else configured

    async def work(session):
        return await service.logs_prune(
            session=session,
            keep_days=pick(keep_days, settings.request_log_keep_days),
            truncate_ip_after_days=pick(
                truncate_ip_after_days, settings.request_log_truncate_ip_after_days
            ),
            drop_session_after_days=pick(
                drop_session_after_days, settings.request_log_drop_session_after_days
            ),
        )

    report = asyncio.run(_with_session(work))
    console.print(
        f"request logs: {report.deleted} deleted, {report.ips_truncated} addresses truncated, "
        f"{report.sessions_dropped} session hashes dropped"
    )


@app.command("purge")
def retention_purge() -> None:
    """Delete the identity data of editions whose retention period has ended (idempotent;
    run it daily, e.g. from the systemd timer in infra/)."""
    from urna.privacy import service

    async def purge(session):
        reports = await service.retention_purge(session=session)
        await session.commit()  # the command is the unit of work
        return reports

    reports = asyncio.run(_with_session(purge))
    for report in reports:
        console.print(
            f"{report.edition_slug}: {report.voters} identities, "
            f"{report.paper_entries} paper entries, {report.ballots} ballot traces purged"
        )
    if not reports:
        console.print("nothing to purge")


@app.command()
def worker() -> None:
    """Run the scheduled jobs until SIGTERM: the SMS/e-mail outbox, host names of logged
    requests, the retention purge, the fraud scan. Each job runs in one worker at a time."""
    from urna.jobs import scheduled

    scheduled.worker_main(_settings())


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
    from urna.core.config import ensure_local_secrets, get_settings
    from urna.demo.seed import demo_seed

    os.environ.setdefault("URNA_NOTIFY_PROVIDER", "console")
    os.environ.setdefault("URNA_DEMO_SHOW_CODES", "true")
    os.environ.setdefault("URNA_WORKER_IN_APP", "true")  # one process: it runs the jobs too
    ensure_local_secrets()
    get_settings.cache_clear()
    db_upgrade()

    async def work(session):
        edition = await demo_seed(session=session)
        await session.commit()
        return edition

    edition = asyncio.run(_with_session(work))
    console.print(f"demo edition: [bold]{edition.name}[/bold]")
    _demo_admin()
    _demo_results()
    console.print(f"open [bold]http://{host}:{port}/[/bold] (Ctrl+C stops)")
    console.print("one-time codes are shown on the page and printed here (demo mode)")
    if not seed_only:
        serve(host=host, port=port, workers=1)


DEMO_PABULIB_FILES = ("Poland_Swiecie_2023.pb", "Poland_Lodz_2022_Andrzejow.pb")


def _demo_results() -> None:
    """Real past elections with published results, when the pabulib data are on this machine
    (URNA_PABULIB_DIR, default ../shared/data/pabulib); the demo works without them."""
    from urna.editions import repository as editions_repository
    from urna.results import service as results
    from urna.results.importer import edition_import_pabulib as import_file
    from urna.results.importer import slug_of

    folder = Path(os.environ.get("URNA_PABULIB_DIR", "../shared/data/pabulib"))
    files = [folder / name for name in DEMO_PABULIB_FILES if (folder / name).is_file()]

    async def work(session):
        imported = []
        for path in files:
            if await editions_repository.edition_by_slug(session, slug_of(path)) is not None:
                continue
            summary = await import_file(session=session, path=path)
            run = await results.run_create(session=session, edition=summary.edition, actor_id=None)
            await results.run_publish(
                session=session, edition=summary.edition, run_id=run.id, actor_id=None
            )
            imported.append(summary.edition.slug)
        return imported

    for slug in asyncio.run(_with_session(work)):
        console.print(f"past edition with published results: /e/{slug}/results")


def _demo_admin() -> None:
    """No default accounts: the demo makes one admin with a generated password, once."""
    from urna.core.crypto import Crypto
    from urna.staff import repository, service

    async def work(session):
        if await repository.staff_count(session) > 0:
            return None
        return await service.staff_create(
            session=session,
            crypto=Crypto(_settings()),
            form={"email": "admin@example.org", "name": "Demo admin", "role": "admin"},
            actor_id=None,
            reason="urna demo",
        )

    created = asyncio.run(_with_session(work))
    if created is None:
        console.print("staff console: /staff/login (the demo admin exists already)")
        return
    user, password, secret = created
    console.print(f"staff console: /staff/login as [bold]{user.email}[/bold]")
    console.print(f"  password: [bold]{password}[/bold]")
    console.print(f"  TOTP secret: [bold]{secret}[/bold] (or scan the QR code at first login)")


if __name__ == "__main__":
    app()
