"""Retention as the privacy policy states it: ``urna logs prune`` for the request logs,
``urna purge`` for the identity data of editions."""

from __future__ import annotations

import typer

from urna.cli.common import console, run, settings
from urna.core.config import MAX_RETENTION_DAYS

logs_app = typer.Typer(help="Request logs.", no_args_is_help=True)


@logs_app.command("prune")
def logs_prune(
    keep_days: int | None = typer.Option(
        None, help="Delete logs older than this.", min=1, max=MAX_RETENTION_DAYS
    ),
    truncate_ip_after_days: int | None = typer.Option(
        None,
        help="Cut addresses to /24 (IPv6 /48) and drop host names after this.",
        min=1,
        max=MAX_RETENTION_DAYS,
    ),
    drop_session_after_days: int | None = typer.Option(
        None, help="Drop session hashes after this.", min=1, max=MAX_RETENTION_DAYS
    ),
) -> None:
    """Apply the retention of the privacy policy (URNA_REQUEST_LOG_* settings; an option
    given here overrides its setting). By default logs are kept whole, indefinitely."""
    from urna.requestlog import service

    configured = settings()

    def pick(given: int | None, setting: int | None) -> int | None:
        return given if given is not None else setting

    async def work(session):
        return await service.logs_prune(
            session=session,
            keep_days=pick(keep_days, configured.request_log_keep_days),
            truncate_ip_after_days=pick(
                truncate_ip_after_days, configured.request_log_truncate_ip_after_days
            ),
            drop_session_after_days=pick(
                drop_session_after_days, configured.request_log_drop_session_after_days
            ),
        )

    report = run(work)
    console.print(
        f"request logs: {report.deleted} deleted, {report.ips_truncated} addresses truncated, "
        f"{report.sessions_dropped} session hashes dropped"
    )


def retention_purge() -> None:
    """Delete the identity data of editions whose retention period has ended (idempotent;
    run it daily, e.g. from the systemd timer in infra/)."""
    from urna.core.crypto import Crypto
    from urna.jobs.scheduled import purge

    crypto = Crypto(settings())
    reports, traces = run(lambda session: purge(session=session, crypto=crypto))
    for report in reports:
        console.print(
            f"{report.edition_slug}: {report.voters} identities, "
            f"{report.paper_entries} paper entries, {report.ballots} ballot traces purged"
        )
    for slug, rows in traces.items():
        console.print(f"{slug}: {rows} fraud-scan traces anonymised")
    if not (reports or traces):
        console.print("nothing to purge")
