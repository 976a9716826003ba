"""``urna serve`` and ``urna secrets``: run the app, and the local keys it needs."""

from __future__ import annotations

import typer

from urna.cli.common import console

secrets_app = typer.Typer(help="Local secrets for development.", no_args_is_help=True)


@secrets_app.command("init")
def secrets_init() -> None:
    """Create var/secrets.env with random keys (never overwrites)."""
    from urna.core.config import ensure_local_secrets

    console.print(f"secrets: {ensure_local_secrets()}")


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
