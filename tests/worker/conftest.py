"""The worker's tests share a database of their own (the jobs sweep whole tables: the
outbox, the request log, every edition's retention), a fake SMS gateway over HTTP, and
helpers that start real worker processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import delete

from tests.conftest import fresh_database, make_settings, random_key
from tests.live import settings_env
from urna.core.config import Settings
from urna.core.db import create_engine, transaction
from urna.jobs.runner import JobContext, job_context
from urna.notify import service as notify
from urna.notify.models import OutboxMessage

ROOT = Path(__file__).resolve().parents[2]


class Gateway:
    """An SMS gateway on 127.0.0.1 that records every message it accepts; it answers
    500 to the recipients in ``failing`` and takes ``delay`` seconds per message."""

    def __init__(self) -> None:
        self.received: list[dict[str, str]] = []
        self.failing: set[str] = set()
        self.delay = 0.0
        self._lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                time.sleep(gateway.delay)
                refused = body["to"] in gateway.failing
                if not refused:
                    with gateway._lock:
                        gateway.received.append(body)
                self.send_response(500 if refused else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def recipients(self) -> list[str]:
        with self._lock:
            return [body["to"] for body in self.received]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    server = Gateway()
    yield server
    server.close()


@pytest.fixture(scope="session")
async def worker_database_url(tmp_path_factory) -> AsyncIterator[str]:
    url, drop = await fresh_database(tmp_path_factory.mktemp("worker-db"))
    yield url
    await drop()


# One set of keys for every process of these tests: a worker decrypts what a test wrote.
KEYS = {name: random_key() for name in ("secret_key", "data_key", "hmac_key")}


def worker_settings(url: str, **overrides) -> Settings:
    values = {**KEYS, "request_log_reverse_dns": False, "worker_outbox_seconds": 0.05}
    return make_settings(url, **{**values, **overrides})


@pytest.fixture
async def job_ctx(worker_database_url: str) -> AsyncIterator[JobContext]:
    """A job context on the worker database, with an empty outbox."""
    engine = create_engine(worker_database_url, pool_size=12)
    ctx = job_context(worker_settings(worker_database_url), engine)
    async with transaction(ctx.db) as session:
        await session.execute(delete(OutboxMessage))
    yield ctx
    ctx.close()
    await engine.dispose()


async def messages_enqueue(ctx: JobContext, count: int, *, prefix: str = "+48600") -> list[str]:
    """``count`` SMS messages in the outbox; returns their recipients."""
    recipients = [f"{prefix}{index:06d}" for index in range(count)]
    async with transaction(ctx.db) as session:
        for to in recipients:
            await notify.message_enqueue(
                session=session,
                crypto=ctx.crypto,
                channel="sms",
                recipient=to,
                text=f"Kod: 123456 ({to})",
                purpose="test",
            )
    return recipients


@dataclass
class Proc:
    """A Python process started from the repository root, its output in a log file."""

    process: subprocess.Popen
    log_path: Path

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM, then wait; a process that does not end in time is killed and fails."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"no stop on SIGTERM:\n{self.output()}") from None


def process_start(settings: Settings, tmp_path: Path, *args: str) -> Proc:
    """``python ARGS`` with ``settings`` as ``URNA_*`` variables in its environment."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("URNA_")}
    env.update(settings_env(settings))
    env["URNA_VAR_DIR"] = str(tmp_path)
    env["PYTHONUNBUFFERED"] = "1"
    log_path = tmp_path / f"proc-{time.monotonic_ns()}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, *args], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    return Proc(process, log_path)
