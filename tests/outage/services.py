"""Private services for the outage tests: a PostgreSQL cluster (``initdb`` into a temporary
directory), a ``redis-server`` and ``urna serve --workers N``, each on a free port and
each a process of this test run, so they may be stopped, killed and restarted without
touching the shared PostgreSQL and Redis other runs use.

A missing binary fails loudly (never a skip). Every process is started in a session of
its own and torn down by its process group (PostgreSQL with ``pg_ctl stop -m immediate``
and then its postmaster's group), so nothing outlives the run."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from pathlib import Path

import asyncpg
import httpx
import psutil

from tests.conftest import make_settings
from tests.live import LiveServer, _free_port, _server_start, _stop
from urna.core import migrate

PG_BIN = Path(os.environ.get("URNA_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
START_SECONDS = 30.0


def _binary(path: Path | str) -> str:
    found = shutil.which(str(path))
    if found is None:
        raise RuntimeError(
            f"{path} is missing: the outage tests need a private PostgreSQL 15 "
            "(apt-get install postgresql-15) and redis-server (apt-get install redis-server)"
        )
    return found


def _port_open(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_for(predicate, what: str, seconds: float = START_SECONDS) -> float:
    """Poll ``predicate`` until true; the seconds it took (fails after ``seconds``)."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if predicate():
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {seconds:.0f} s")


def _group_kill(pid: int) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


class PrivatePostgres:
    """A cluster of its own: ``initdb`` (trust, user postgres), ``pg_ctl`` on a free port,
    fsync on. As root the binaries run as the ``postgres`` user (initdb refuses root)."""

    def __init__(self) -> None:
        self.initdb = _binary(PG_BIN / "initdb")
        self.pg_ctl = _binary(PG_BIN / "pg_ctl")
        self.port = _free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="urna-outage-pg-"))
        self.data = self.directory / "data"
        self.log = self.directory / "postgres.log"
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            shutil.chown(self.directory, user=self.user)
        self._run([self.initdb, "-D", str(self.data), "-U", "postgres", "-A", "trust",
                   "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"])  # fmt: skip

    def _run(self, command: list[str], *, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            command,
            user=self.user,
            cwd=self.directory,
            capture_output=True,
            text=True,
            timeout=120,
            start_new_session=True,
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n"
                f"{result.stderr}\n{self.log_tail()}"
            )
        return result

    def log_tail(self, chars: int = 3000) -> str:
        with suppress(OSError):
            return self.log.read_text(errors="replace")[-chars:]
        return ""

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, name: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{name}"

    def _ctl(self, action: str, *extra: str) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories="
            f"{self.directory} -c fsync=on -c max_connections=100 -c shared_buffers=32MB"
        )
        self._run([self.pg_ctl, action, "-D", str(self.data), "-l", str(self.log), "-w",
                   "-t", "60", "-o", options, *extra])  # fmt: skip

    def start(self) -> None:
        self._ctl("start")

    def stop(self, mode: str = "fast") -> None:
        self._run([self.pg_ctl, "stop", "-D", str(self.data), "-m", mode, "-w", "-t", "60"])

    def restart_immediate(self) -> None:
        """A crash as PostgreSQL sees one: SIGQUIT to every backend, then crash recovery."""
        self._ctl("restart", "-m", "immediate")

    @property
    def running(self) -> bool:
        return _port_open(self.port)

    def postmaster_pid(self) -> int | None:
        with suppress(OSError, ValueError, IndexError):
            return int((self.data / "postmaster.pid").read_text().split()[0])
        return None

    def destroy(self) -> None:
        pid = self.postmaster_pid()
        with suppress(Exception):
            self._run([self.pg_ctl, "stop", "-D", str(self.data), "-m", "immediate", "-w",
                       "-t", "20"], check=False)  # fmt: skip
        if pid is not None:  # still there: the postmaster and its backends, by their ids
            with suppress(psutil.Error):
                postmaster = psutil.Process(pid)
                for process in [*postmaster.children(recursive=True), postmaster]:
                    with suppress(psutil.Error):
                        process.kill()
        shutil.rmtree(self.directory, ignore_errors=True)

    def database_create(self, name: str = "urna") -> str:
        """A database with the schema built by the migrations; its SQLAlchemy URL."""

        async def create() -> None:
            conn = await asyncpg.connect(self.admin_url, timeout=10)
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
            finally:
                await conn.close()

        asyncio.run(create())
        url = self.url(name)
        migrate.upgrade(url)
        return url


class PrivateRedis:
    """``redis-server`` on a free port, no persistence: stopping it loses every session
    (as a Redis restart without persistence does)."""

    def __init__(self) -> None:
        self.binary = _binary("redis-server")
        self.port = _free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="urna-outage-redis-"))
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        wait_for(lambda: _port_open(self.port), "redis-server answering")

    def stop(self) -> None:
        if self.process is not None:
            _group_kill(self.process.pid)  # its own group, started above
            self.process.wait(10)
            self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


class App(LiveServer):
    """``urna serve --workers N`` (uvicorn's supervisor: a worker that dies is started
    again) against the private services; ``workers_pids`` and ``worker_kill`` for the
    crash test."""

    def serving_workers(self, database_port: int) -> list[int]:
        """Workers that have served requests: they hold a connection to the database
        (one still starting has none yet)."""
        serving = []
        for pid in self.worker_pids():
            with suppress(psutil.Error):
                connections = psutil.Process(pid).net_connections(kind="tcp")
                if any(c.raddr and c.raddr.port == database_port for c in connections):
                    serving.append(pid)
        return serving

    def worker_pids(self) -> list[int]:
        try:
            children = psutil.Process(self.process.pid).children()
        except psutil.NoSuchProcess:
            return []
        pids = []
        for child in children:
            with suppress(psutil.Error):
                if "resource_tracker" not in " ".join(child.cmdline()):
                    pids.append(child.pid)
        return pids


def app_start(
    tmp_dir: Path, *, database_url: str, redis_url: str, workers: int, **overrides
) -> App:
    """``urna serve`` on a free port, settings as ``URNA_*`` variables; waits for /healthz."""
    overrides.setdefault("loadtest_mode", True)  # codes read at /_loadtest/code
    overrides.setdefault("otp_resend_per_contact", "100/10 minutes")  # retried identities
    overrides.setdefault("db_pool_size", 4)
    settings = make_settings(
        database_url, redis_url=redis_url, redis_prefix="urna-outage:", **overrides
    )
    urna = Path(sys.executable).with_name("urna")
    port = _free_port()
    command = [str(urna), "serve", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers)]  # fmt: skip
    app = _server_start(
        settings, database_url, tmp_dir, port=port, workers=workers, command=command, kind=App
    )
    try:
        wait_for(lambda: _all_workers_answer(app), "urna serve answering /healthz", 120)
        wait_for(lambda: len(app.worker_pids()) == workers, f"{workers} workers running")
    except BaseException:
        app_stop(app)
        raise
    return app


def _all_workers_answer(app: App) -> bool:
    """A few /healthz in a row answer (a worker still importing the app takes no
    connection yet: the ones that answer are the ones serving)."""
    if app.process.poll() is not None:
        raise RuntimeError(f"urna serve exited ({app.process.returncode}):\n{app.log_tail()}")
    try:
        return all(httpx.get(app.url("/healthz"), timeout=5).status_code == 200 for _ in range(6))
    except httpx.HTTPError:
        return False


def app_stop(app: App) -> None:
    _stop(app.process)
