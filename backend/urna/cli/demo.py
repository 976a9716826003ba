"""``urna demo``: the demo on the embedded default, with a demo admin and, when the pabulib
data are on the machine, real past elections with published results."""

from __future__ import annotations

import os
from pathlib import Path

from urna.cli.common import console, run, settings
from urna.cli.db import db_upgrade
from urna.cli.serve import serve

DEMO_PABULIB_FILES = ("Poland_Swiecie_2023.pb", "Poland_Lodz_2022_Andrzejow.pb")


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

    edition = run(lambda session: demo_seed(session=session))
    console.print(f"demo edition: [bold]{edition.name}[/bold]")
    _demo_admin()
    _demo_results()
    if seed_only:
        console.print("the demo is set up; `urna demo` serves it")
        return
    console.print(f"open [bold]http://{host}:{port}/[/bold] (Ctrl+C stops)")
    console.print("one-time codes are shown on the page and printed here (demo mode)")
    serve(host=host, port=port, workers=1)


def demo_pabulib_dir() -> Path:
    """``URNA_PABULIB_DIR``, by default ``../shared/data/pabulib`` next to the checkout (as
    the load test reads it), wherever the command is run from."""
    from urna.core.config import REPO_ROOT

    configured = os.environ.get("URNA_PABULIB_DIR")
    return Path(configured) if configured else REPO_ROOT.parent / "shared" / "data" / "pabulib"


def _demo_results() -> None:
    """Real past elections with published results, when the pabulib data are on this machine
    (``demo_pabulib_dir``); the demo works without them."""
    from urna.editions import repository as editions_repository
    from urna.results import service as results
    from urna.results.importer import edition_import_pabulib as import_file
    from urna.results.importer import slug_of

    folder = demo_pabulib_dir()
    files = [folder / name for name in DEMO_PABULIB_FILES if (folder / name).is_file()]

    async def work(session):
        imported = []
        for path in files:
            if await editions_repository.edition_by_slug(session, slug_of(path)) is not None:
                continue
            summary = await import_file(session=session, path=path)
            computed = await results.run_create(
                session=session, edition=summary.edition, actor_id=None
            )
            await results.run_publish(
                session=session, edition=summary.edition, run_id=computed.id, actor_id=None
            )
            imported.append(summary.edition.slug)
        return imported

    for slug in run(work):
        console.print(f"past edition with published results: /e/{slug}/results")


def _demo_admin() -> None:
    """No default accounts: the demo makes one admin with a generated password, once."""
    from urna.core.crypto import Crypto
    from urna.staff import repository, service
    from urna.staff.schemas import StaffCreateIn

    async def work(session):
        if await repository.staff_count(session) > 0:
            return None
        return await service.staff_create(
            session=session,
            crypto=Crypto(settings()),
            data=StaffCreateIn(
                email="admin@example.org", name="Demo admin", role="admin", reason="urna demo"
            ),
            actor_id=None,
        )

    created = run(work)
    if created is None:
        console.print("staff console: /staff/login (the demo admin exists already)")
        return
    user, password, secret = created
    console.print(f"staff console: /staff/login as [bold]{user.email}[/bold]")
    console.print(f"  password: [bold]{password}[/bold]")
    console.print(f"  TOTP secret: [bold]{secret}[/bold] (or scan the QR code at first login)")
