"""``urna staff``: staff accounts."""

from __future__ import annotations

from enum import Enum

import typer

from urna.cli.common import console, run, settings
from urna.core.access import ROLES

# The roles as a choice: a wrong one is refused with the roles named.
Role = Enum("Role", {role: role for role in ROLES}, type=str)

staff_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)


@staff_app.command("create")
def staff_create(
    email: str = typer.Option(..., help="The person's e-mail address (the login)."),
    role: Role = typer.Option(..., help="The account's role."),
    name: str = typer.Option("", help="Full name (defaults to the e-mail address)."),
) -> None:
    """Create a staff account and print its generated password (shown once). The second
    factor (TOTP) is enrolled with a QR code at the first login."""
    from urna.core.crypto import Crypto
    from urna.core.forms import form_parse
    from urna.staff import service
    from urna.staff.schemas import StaffCreateIn

    async def work(session):
        form = {"email": email, "name": name or email, "role": role.value}
        return await service.staff_create(
            session=session,
            crypto=Crypto(settings()),
            data=form_parse(StaffCreateIn, {**form, "reason": "urna staff create (command line)"}),
            actor_id=None,
        )

    user, password, _secret = run(work)
    console.print(f"staff account [bold]{user.email}[/bold] ({user.role}) created")
    console.print(f"password (shown once): [bold]{password}[/bold]")
    console.print("log in at /staff/login; the second factor is enrolled at the first login")
