"""The ``urna`` command: one module per group of commands, registered here."""

from __future__ import annotations

import typer

from urna import models as _every_table  # noqa: F401 - the ORM resolves foreign keys
from urna.cli.audit import audit_app
from urna.cli.common import expected_failures
from urna.cli.db import db_app
from urna.cli.demo import demo
from urna.cli.edition import edition_app
from urna.cli.keys import keys_app
from urna.cli.readiness import readiness
from urna.cli.results import results_app
from urna.cli.retention import logs_app, retention_purge
from urna.cli.serve import secrets_app, serve
from urna.cli.staff import staff_app
from urna.fraud.cli import fraud_app


class _Urna(typer.Typer):
    """Every command's expected failures (settings, the database) as one line and exit 1,
    whichever command met them (``common.expected_failures``)."""

    def __call__(self, *args, **kwargs):
        try:
            with expected_failures():
                return super().__call__(*args, **kwargs)
        except typer.Exit as done:  # raised outside click's own handling: exit as it says
            raise SystemExit(done.exit_code) from None


app = _Urna(help="Urna: participatory budget voting.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(staff_app, name="staff")
app.add_typer(audit_app, name="audit")
app.add_typer(logs_app, name="logs")
app.add_typer(edition_app, name="edition")
app.add_typer(secrets_app, name="secrets")
app.add_typer(results_app, name="results")
app.add_typer(keys_app, name="keys")
app.add_typer(fraud_app, name="fraud")
app.command("purge")(retention_purge)
app.command()(serve)
app.command()(demo)
app.command(
    context_settings={
        "allow_extra_args": True,
        "ignore_unknown_options": True,
        "help_option_names": [],  # --help is the load test's own
    }
)(readiness)


@app.command()
def worker() -> None:
    """Run the scheduled jobs until SIGTERM: the SMS/e-mail outbox, host names of logged
    requests, the retention purge, the fraud scan. Each job runs in one worker at a time."""
    from urna.cli.common import settings
    from urna.jobs import scheduled

    scheduled.worker_main(settings())
