"""``urna audit``: the audit log."""

from __future__ import annotations

import typer

from urna.cli.common import console, run

audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the whole hash chain of the audit log; name the first broken link."""
    from urna.audit import service

    report = run(lambda session: service.audit_check(session=session))
    if report.ok:
        console.print(f"[green]audit chain intact[/green]: {report.events} events")
        return
    console.print(
        f"[red]audit chain broken at event {report.broken_at}[/red]: {report.problem} "
        f"({report.events} events verified before it)"
    )
    raise typer.Exit(1)
