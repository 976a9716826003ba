"""A live server: the real app in a separate ``uvicorn`` process, against a fresh database.

``live_server_running`` builds a database with the migrations, starts ``python -m uvicorn
urna.main:create_app --factory`` with the settings passed as ``URNA_*`` environment
variables (2 workers on PostgreSQL + Redis, 1 on the embedded backend, whose session store
lives in the process), waits for ``/healthz`` and yields a :class:`LiveServer`. At the end
the server is terminated (killed if it does not stop in time) and the database dropped.
The session fixture ``live_server`` (``tests/conftest.py``) runs one for the whole run:
the browser tests and the races share it, each with editions and accounts of its own.

The helpers on :class:`LiveServer` open their own engine on the server's database, so they
work from sync tests (browser) and from async tests (races) alike: the sync variants run
the coroutine in a private event loop on a worker thread, never on the session loop.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
from pydantic import SecretStr
from sqlalchemy import func, select

from tests.conftest import (
    BACKEND,
    REDIS_URL,
    RUN_REDIS_PREFIX,
    _redis_check,
    fresh_database,
    make_settings,
)
from tests.factories.editions import edition_data
from tests.factories.voting import e164
from urna.core.config import Settings
from urna.core.crypto import Crypto
from urna.core.db import create_engine, session_factory
from urna.editions.models import Edition
from urna.notify import service as notify
from urna.notify.models import OutboxMessage
from urna.privacy import service as privacy
from urna.voting.models import Ballot, BallotChoice, Voter

REPO_ROOT = Path(__file__).resolve().parents[1]
WORKERS = 2 if BACKEND == "postgres" else 1
START_TIMEOUT = 90.0  # a loaded 2-core machine imports the app slowly
STOP_TIMEOUT = 15.0
T = TypeVar("T")


def run_sync(function: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
    """Run a coroutine function to completion in a fresh loop on a worker thread.

    ``asyncio.run`` on the main thread would unset pytest-asyncio's session loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(function(*args, **kwargs))).result()


def settings_env(settings: Settings) -> dict[str, str]:
    """The explicitly set fields of ``settings`` as ``URNA_*`` environment variables."""
    env: dict[str, str] = {}
    for name in sorted(settings.model_fields_set):
        value = getattr(settings, name)
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        elif isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, list | dict):
            value = json.dumps(value)
        env["URNA_" + name.upper()] = str(value)
    return env


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    base_url: str
    database_url: str
    settings: Settings
    workers: int
    log_path: Path
    process: subprocess.Popen

    # ---- keys (the same the server uses) -------------------------------------------

    @property
    def secret_key(self) -> str:
        return self.settings.secret_key.get_secret_value()

    @property
    def data_key(self) -> str:
        return self.settings.data_key.get_secret_value()

    @property
    def hmac_key(self) -> str:
        return self.settings.hmac_key.get_secret_value()

    @property
    def crypto(self) -> Crypto:
        return Crypto(self.settings)

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""

    # ---- database helpers (async) --------------------------------------------------

    async def _with_db(self, work: Callable[[Any], Awaitable[T]]) -> T:
        engine = create_engine(self.database_url, pool_size=2)
        try:
            async with session_factory(engine)() as session:
                return await work(session)
        finally:
            await engine.dispose()

    async def edition_create_async(self, **overrides: Any) -> Edition:
        """An edition from ``tests.factories.editions.edition_data(**overrides)``."""

        async def work(session) -> Edition:
            edition = await privacy.edition_import(session=session, data=edition_data(**overrides))
            await session.commit()
            return edition

        return await self._with_db(work)

    async def latest_code_async(self, phone: str) -> str:
        """The newest one-time code sent to ``phone`` (any format), read from the outbox."""
        crypto, to = self.crypto, e164(phone) if not phone.startswith("+") else phone

        async def work(session) -> str | None:
            rows = await session.execute(
                select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(500)
            )
            for message in rows.scalars():
                if message.payload_enc is None:
                    continue
                payload = notify.message_payload(crypto=crypto, message=message)
                if payload["to"] == to:
                    return re.search(r"\b(\d{6})\b", payload["text"]).group(1)
            return None

        code = await self._with_db(work)
        if code is None:
            raise AssertionError(f"no code was sent to {to}")
        return code

    async def counts_async(self, edition_id: int) -> dict[str, int]:
        """How many voters, ballots and ballot choices the edition has."""

        async def work(session) -> dict[str, int]:
            voters = await session.scalar(
                select(func.count()).select_from(Voter).where(Voter.edition_id == edition_id)
            )
            ballots = await session.scalar(
                select(func.count()).select_from(Ballot).where(Ballot.edition_id == edition_id)
            )
            choices = await session.scalar(
                select(func.count())
                .select_from(BallotChoice)
                .join(Ballot, Ballot.id == BallotChoice.ballot_id)
                .where(Ballot.edition_id == edition_id)
            )
            return {"voters": voters, "ballots": ballots, "choices": choices}

        return await self._with_db(work)

    # ---- the same, from sync code --------------------------------------------------

    def edition_create(self, **overrides: Any) -> Edition:
        return run_sync(self.edition_create_async, **overrides)

    def latest_code(self, phone: str) -> str:
        return run_sync(self.latest_code_async, phone)

    def counts(self, edition_id: int) -> dict[str, int]:
        return run_sync(self.counts_async, edition_id)


def _wait_healthy(server: LiveServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"the server exited with code {server.process.returncode} before answering "
                f"/healthz:\n{server.log_tail()}"
            )
        try:
            response = httpx.get(server.url("/healthz"), timeout=2)
            if response.status_code == 200 and response.text == "ok":
                return
            last_error = RuntimeError(f"/healthz answered {response.status_code}")
        except httpx.HTTPError as error:
            last_error = error
        time.sleep(0.2)
    raise RuntimeError(
        f"the server did not answer /healthz within {START_TIMEOUT:.0f} s ({last_error}):\n"
        f"{server.log_tail()}"
    )


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to the uvicorn master (it stops its workers); SIGKILL to the process
    group it leads (master and workers) if that takes too long."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # leftovers of our own group only
    except ProcessLookupError:
        pass
    if process.poll() is None:
        process.wait(timeout=STOP_TIMEOUT)


def _server_start(
    settings: Settings,
    database_url: str,
    tmp_dir: Path,
    *,
    port: int,
    workers: int,
    command: list[str] | None = None,
    kind: type[LiveServer] = LiveServer,
) -> LiveServer:
    """``uvicorn --factory`` (or ``command``) on ``port`` with ``settings`` as ``URNA_*``
    variables, as a ``kind``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("URNA_")}
    env.update(settings_env(settings))
    env["URNA_VAR_DIR"] = str(tmp_dir)  # never touch the developer's var/
    env["PYTHONUNBUFFERED"] = "1"
    # This checkout's app, not the one the virtualenv's editable install points at.
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPO_ROOT / "backend"), env.get("PYTHONPATH")])
    )
    log_path = tmp_dir / f"uvicorn-{port}.log"
    command = command or [
        sys.executable, "-m", "uvicorn", "urna.main:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--timeout-keep-alive", "60", "--timeout-graceful-shutdown", "5",
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return kind(
        base_url=f"http://127.0.0.1:{port}",
        database_url=database_url,
        settings=settings,
        workers=workers,
        log_path=log_path,
        process=process,
    )


@contextmanager
def live_server_running(
    tmp_dir: Path, *, workers: int = WORKERS, **setting_overrides: Any
) -> Iterator[LiveServer]:
    """Fresh database + ``uvicorn --factory --workers N`` on a free port, until exit."""
    if BACKEND == "embedded" and workers != 1:
        raise ValueError("the embedded backend keeps sessions in the process: 1 worker only")
    if BACKEND == "postgres":
        run_sync(_redis_check, REDIS_URL)
    database_url, drop = run_sync(fresh_database, tmp_dir)
    port = _free_port()
    try:
        # Keys of its own under the run's prefix: its sessions and visit counter never
        # meet those of the in-process app.
        setting_overrides.setdefault("redis_prefix", f"{RUN_REDIS_PREFIX}live-{port}:")
        settings = make_settings(database_url, **setting_overrides)
        server = _server_start(settings, database_url, tmp_dir, port=port, workers=workers)
        try:
            _wait_healthy(server)
            yield server
        finally:
            _stop(server.process)
    finally:
        run_sync(drop)


@contextmanager
def another_instance_running(
    first: LiveServer, tmp_dir: Path, *, workers: int = 1
) -> Iterator[LiveServer]:
    """A second app instance on its own port with the same settings as ``first``: the
    same database, the same Redis and key prefix, the same secret keys (a load balancer's
    view of two machines). The database stays ``first``'s to drop."""
    server = _server_start(
        first.settings, first.database_url, tmp_dir, port=_free_port(), workers=workers
    )
    try:
        _wait_healthy(server)
        yield server
    finally:
        _stop(server.process)
