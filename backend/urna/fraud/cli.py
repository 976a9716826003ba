"""``urna fraud``: the scan and the allow-list from the command line.

``urna fraud scan --edition SLUG --json`` is a stable contract read by tools outside the
project: exactly one JSON object on stdout,
``{"edition": SLUG, "cases": [{"id", "score", "signals": [{"kind", "evidence"}],
"ballots": [{"id", "request_id"}]}]}``, the evidence in the office's language
(URNA_LANGUAGE); messages and errors go to stderr. Everything else these commands print
is English, as every ``urna`` command's output is."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

from urna.core.text import counted

fraud_app = typer.Typer(help="Fraud signals, cases and the allow-list.", no_args_is_help=True)
err = Console(stderr=True)
out = Console()
T = TypeVar("T")
ENGLISH = "en"


def _run(work: Callable[[Any, Any], Awaitable[T]], *, office_language: bool = False) -> T:
    """Run ``work(session, ctx)`` in one unit of work; an expected refusal prints one line
    on stderr, in English, and exits 1, never a traceback. The messages ``work`` renders
    (a signal's evidence) are English too, or with ``office_language`` in the office's
    language, as the JSON contract gives them."""
    from urna.core.config import get_settings
    from urna.core.crypto import Crypto
    from urna.core.db import create_engine, session_factory, transaction
    from urna.core.errors import AppError, FormInvalid
    from urna.core.i18n import load_catalogues, set_language, translate_in

    settings = get_settings()
    load_catalogues(settings.frontend_dir / "locale")
    set_language(settings.language if office_language else ENGLISH)

    async def main() -> T:
        engine = create_engine(settings.database_url, pool_size=2)
        try:
            async with transaction(session_factory(engine)) as session:
                return await work(session, (settings, Crypto(settings)))
        finally:
            await engine.dispose()

    try:
        return asyncio.run(main())
    except FormInvalid as error:
        for field, message in error.errors.items():
            err.print(f"[red]{field}[/red]: {translate_in(ENGLISH, message)}", highlight=False)
        raise typer.Exit(1) from error
    except AppError as error:
        text = translate_in(ENGLISH, error.message, **error.params)
        err.print(f"[red]{text}[/red]", highlight=False)
        raise typer.Exit(1) from error


@fraud_app.command("scan")
def scan(
    edition: str = typer.Option(..., "--edition", help="The edition's address (slug)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Run the full scan, store the signals and cases, and print the cases."""
    from urna.editions import service as editions
    from urna.fraud import service

    async def work(session, ctx):
        settings, crypto = ctx
        found = await editions.edition_get(session=session, slug=edition)
        result = await service.scan_full(
            session=session, crypto=crypto, settings=settings, edition=found
        )
        details = [await service.case_get(session=session, case_id=c.id) for c in result.cases]
        ids = [ballot_id for detail in details for ballot_id in detail.ballot_ids]
        request_ids = await service.ballot_request_ids(session=session, ballot_ids=ids)
        return result, details, request_ids

    result, details, request_ids = _run(work, office_language=as_json)
    if as_json:
        payload = {
            "edition": edition,
            "cases": [
                {
                    "id": detail.case.id,
                    "score": detail.case.score,
                    "signals": [{"kind": s.kind, "evidence": s.evidence} for s in detail.signals],
                    "ballots": [
                        {"id": ballot_id, "request_id": request_ids.get(ballot_id)}
                        for ballot_id in detail.ballot_ids
                    ],
                }
                for detail in details
            ],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False))
        return
    out.print(
        f"{edition}: {counted(result.ballots_scanned, 'ballot')} scanned, "
        f"{counted(result.signals, 'signal')}, {counted(len(details), 'case')}",
        highlight=False,
    )
    for detail in details:
        case = detail.case
        out.print(
            f"[bold]case {case.id}[/bold] score {case.score} ({case.status}), "
            f"{case.ballots} ballots: {', '.join(case.kinds)}",
            highlight=False,
        )
        for signal in detail.signals:
            out.print(f"  {signal.kind} ({signal.score}): {signal.evidence}", highlight=False)


@fraud_app.command("allow")
def allow(
    cidr: str = typer.Argument(..., help="An address or a network, e.g. 192.0.2.0/24."),
    note: str = typer.Option(..., "--note", help="What it is (e.g. the library's kiosk)."),
) -> None:
    """Add a known shared network: its ballots do not raise the network signals."""
    from urna.fraud import service

    async def work(session, _ctx):
        return await service.allow_add(session=session, cidr=cidr, note=note, actor_id=None)

    entry = _run(work)
    out.print(f"allowed {entry.cidr} (#{entry.id}): {entry.note}", highlight=False)


@fraud_app.command("allowed")
def allowed() -> None:
    """List the allow-list."""
    from urna.fraud import service

    async def work(session, _ctx):
        return await service.allow_list(session=session)

    entries = _run(work)
    for entry in entries:
        out.print(f"#{entry.id} {entry.cidr}: {entry.note}", highlight=False)
    if not entries:
        out.print("the allow-list is empty", highlight=False)


@fraud_app.command("disallow")
def disallow(
    allow_id: int = typer.Argument(
        ..., help="The entry's number (urna fraud allowed).", min=1, max=2**31 - 1
    ),
):
    """Remove an entry from the allow-list."""
    from urna.fraud import service

    async def work(session, _ctx):
        await service.allow_remove(session=session, allow_id=allow_id, actor_id=None)

    _run(work)
    out.print(f"removed #{allow_id}", highlight=False)
