"""`urna keys rotate`: re-wrap every live edition key under the current master key.

Rotation: set the new master as URNA_DATA_KEY and the old one as URNA_DATA_KEY_PREVIOUS,
run `urna keys rotate`, then remove URNA_DATA_KEY_PREVIOUS and destroy the old master.
Backups taken before then hold edition keys wrapped by the old master: once it is
destroyed, the keys shredded since (retention) cannot be recovered from them."""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console

from urna.cli.common import expected_failures, fail

keys_app = typer.Typer(help="Data keys (per-edition, wrapped by the master key).")
console = Console()


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Re-wrap the edition keys under the current master key (URNA_DATA_KEY)."""
    from urna.core import keys
    from urna.core.config import get_settings
    from urna.core.crypto import Crypto
    from urna.core.db import create_engine, session_factory, transaction

    async def rotate() -> keys.Rotation:
        settings = get_settings()
        engine = create_engine(settings.database_url)
        try:
            async with transaction(session_factory(engine)) as session:
                return await keys.keys_rotate(session=session, crypto=Crypto(settings))
        finally:
            await engine.dispose()

    with expected_failures():
        done = asyncio.run(rotate())
    console.print(f"{done.moved} edition keys re-wrapped under the current master key")
    if done.stranded:
        fail(
            f"{done.stranded} edition keys stay wrapped under a master key this process does"
            " not have: set it as URNA_DATA_KEY_PREVIOUS and run `urna keys rotate` again;"
            " until then, do not destroy any old master key"
        )
