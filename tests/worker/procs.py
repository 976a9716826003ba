"""Processes for the worker tests, run as ``python -m tests.worker.procs MODE ...`` with
the settings in ``URNA_*`` variables (``tests.live.settings_env``).

- ``probe FILE HOLD INTERVAL``: the real worker entry (``worker_main``: signals, locks,
  intervals) with one job, ``probe``, that appends ``{"pid", "event", "at"}`` lines to
  FILE when it starts and ends, holding the job for HOLD seconds.
- ``deliver BARRIER N``: ``notify.outbox_deliver`` in a loop, without the job lock,
  once N processes have written their pid into the folder BARRIER (so that they begin
  together), until nothing is left to send; prints how many messages this process sent.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from urna.core.config import Settings
from urna.core.db import create_engine
from urna.jobs.runner import Job, job_context
from urna.jobs.scheduled import worker_main
from urna.notify import service as notify
from urna.notify.models import OutboxMessage
from urna.notify.repository import MAX_ATTEMPTS


def probe(path: str, hold: float, interval: float) -> None:
    def record(event: str) -> None:
        line = json.dumps({"pid": os.getpid(), "event": event, "at": time.time()})
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")

    async def run(ctx) -> None:
        record("start")
        await asyncio.sleep(hold)
        record("end")

    worker_main(Settings(), [Job("probe", interval, run)])


def barrier_wait(folder: Path, count: int) -> None:
    (folder / str(os.getpid())).touch()
    while len(list(folder.iterdir())) < count:
        time.sleep(0.01)


async def deliver() -> int:
    settings = Settings()
    engine = create_engine(settings.database_url, pool_size=12)
    ctx = job_context(settings, engine)
    sent_here = 0
    try:
        while True:
            sent, _failed = await notify.outbox_deliver(
                db=ctx.db,
                crypto=ctx.crypto,
                provider=ctx.provider,
                claim_timeout=timedelta(minutes=5),
                batch=20,
            )
            sent_here += sent
            if sent:
                continue
            async with ctx.db() as session:
                unsent = await session.scalar(
                    select(func.count()).where(
                        OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS
                    )
                )
            if not unsent:
                return sent_here
            await asyncio.sleep(0.05)  # the other process holds the rest
    finally:
        ctx.close()
        await engine.dispose()


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    if mode == "probe":
        probe(args[0], float(args[1]), float(args[2]))
    elif mode == "deliver":
        barrier_wait(Path(args[0]), int(args[1]))
        print(asyncio.run(deliver()))
    else:
        raise SystemExit(f"unknown mode {mode}")
