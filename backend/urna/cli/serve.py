"""``urna serve`` and ``urna secrets``: run the app, and the local keys it needs."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from urna.cli.common import console

secrets_app = typer.Typer(help="Local secrets for development.", no_args_is_help=True)


@secrets_app.command("init")
def secrets_init() -> None:
    """Create var/secrets.env with random keys (never overwrites)."""
    from urna.core.config import ensure_local_secrets

    console.print(f"secrets: {ensure_local_secrets()}")


def workers_default(redis_url: str | None, cpus: int | None) -> int:
    """One worker per core (each an event loop: more would only queue on the same CPUs);
    one only without Redis, whose in-process session store a second worker would not see."""
    return max(1, cpus or 1) if redis_url else 1


def serve(
    host: str = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[
        int | None, typer.Option(help="Default: one per core with Redis, else 1.", min=1, max=64)
    ] = None,
) -> None:
    """Serve the app (uvicorn on uvloop and httptools, one worker per core with Redis)."""
    import uvicorn

    from urna.cli.common import settings

    if workers is None:
        workers = workers_default(settings().redis_url, os.cpu_count())
    uvicorn.run(
        "urna.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",  # both come with uvicorn[standard]; explicit, so a missing one fails
        http="httptools",
        # longer than the proxy keeps an idle upstream connection (nginx: 60 s), so nginx
        # never reuses one uvicorn has just closed (a 502 on the last evening)
        timeout_keep_alive=75,
        timeout_graceful_shutdown=20,  # let casts in flight finish on a redeploy
        # The supervisor kills a worker that does not answer its ping in time and starts
        # another. uvicorn's 5 s is shorter than a worker's start on a busy machine (a
        # fresh interpreter importing the app: 10 s at a load of 5 per core, 40 s at 8),
        # so a crashed worker's replacement was itself killed again and again, for ever.
        timeout_worker_healthcheck=60,
        proxy_headers=False,  # urna trusts X-Forwarded-For only from URNA_TRUSTED_PROXIES
        server_header=False,
        # Urna writes its own request log (requestlog/); uvicorn's would only cost time
        access_log=False,
        log_level="warning",
    )
