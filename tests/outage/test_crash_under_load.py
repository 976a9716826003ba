"""A crash test under load: residents vote concurrently through ``urna serve --workers 3``
on a private PostgreSQL while app workers are killed with SIGKILL again and again (the
uvicorn supervisor starts new ones) and PostgreSQL itself crashes once (``pg_ctl restart
-m immediate``: every backend gets SIGQUIT, crash recovery replays the WAL, fsync on).

Afterwards every receipt a resident was shown is exactly one ballot, no voter has two,
no ballot lacks its choices, and every stored ballot's receipt reached its resident:
either at once, or on pressing again ("this ballot is cast, here is your receipt").

Size and length: ``URNA_SOAK_SECONDS`` (chaos, default 40), ``URNA_SOAK_RESIDENTS``
(concurrent residents, default 8), ``URNA_SOAK_KILL_EVERY`` (seconds between kills,
default 3), ``URNA_SOAK_KILLS_MIN`` (the chaos goes on, up to three times as long, until
that many kills: a busy machine restarts workers slowly); ``make soak`` runs it longer
and larger."""

from __future__ import annotations

import json
import os
import random
import signal
import threading
import time

import pytest

from tests.outage.conftest import Services
from tests.outage.ledger import ledger, ledger_check
from tests.outage.residents import Crowd

pytestmark = pytest.mark.postgres_only

SECONDS = float(os.environ.get("URNA_SOAK_SECONDS", "40"))
RESIDENTS = int(os.environ.get("URNA_SOAK_RESIDENTS", "8"))
KILL_EVERY = float(os.environ.get("URNA_SOAK_KILL_EVERY", "3"))
# at least one kill per 20 s of chaos (more if workers restart fast enough)
KILLS_MIN = int(os.environ.get("URNA_SOAK_KILLS_MIN", max(4, int(SECONDS // 20))))
RECOVERY_SECONDS = 90.0  # after the chaos: the unfinished finish, on a healthy app


class Chaos:
    """Kills a serving worker every ~``KILL_EVERY`` s while another one serves (a worker
    still starting is left alone, so the app keeps answering), and crashes PostgreSQL
    once half-way through."""

    def __init__(self, services: Services, seconds: float) -> None:
        self.services = services
        self.started = time.monotonic()
        self.seconds = seconds
        self.kills = 0
        self.last_kill = self.started
        self.restart_seconds: list[float] = []  # from a kill to its replacement serving
        self._unreplaced: list[float] = []
        self._seen: set[int] = set(services.app.serving_workers(services.postgres.port))
        self.postgres_restart_seconds: float | None = None
        self.errors: list[BaseException] = []

    def _serving_worker(self) -> int | None:
        """A worker that is serving, while another one serves too; or the only one, if
        the others have been starting for a while (a busy machine starts them slowly):
        then requests wait in the listening socket's queue until one has started."""
        serving = self.services.app.serving_workers(self.services.postgres.port)
        self._restarts_note(serving)
        overdue = time.monotonic() - self.last_kill > 6 * KILL_EVERY
        if len(serving) >= 2 or (serving and overdue):
            return random.choice(serving)  # noqa: S311
        return None

    def _restarts_note(self, serving: list[int]) -> None:
        for pid in set(serving) - self._seen:
            self._seen.add(pid)
            if self._unreplaced:
                self.restart_seconds.append(time.monotonic() - self._unreplaced.pop(0))

    def _over(self) -> bool:
        """``seconds`` have passed with at least ``KILLS_MIN`` kills (on a busy machine
        workers start slowly, so kills come slower), at most three times as long."""
        elapsed = time.monotonic() - self.started
        return elapsed > 3 * self.seconds or (elapsed > self.seconds and self.kills >= KILLS_MIN)

    def run(self) -> None:
        try:
            crash_at = self.started + self.seconds / 2
            while not self._over():
                if self.postgres_restart_seconds is None and time.monotonic() >= crash_at:
                    started = time.monotonic()
                    self.services.postgres.restart_immediate()
                    self.postgres_restart_seconds = time.monotonic() - started
                pid = self._serving_worker()
                if pid is not None:
                    os.kill(pid, signal.SIGKILL)  # a worker of the app this test started
                    self.kills += 1
                    self.last_kill = time.monotonic()
                    self._unreplaced.append(self.last_kill)
                time.sleep(KILL_EVERY * random.uniform(0.5, 1.5))  # noqa: S311
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.errors.append(error)
        finally:
            self.elapsed = time.monotonic() - self.started


def test_killed_workers_and_a_postgres_crash_lose_no_ballot_double_none_split_none(
    services: Services, capsys
):
    app = services.app
    edition = app.edition_create()
    chaos = Chaos(services, SECONDS)
    with Crowd(app.base_url, edition.slug, RESIDENTS, longest=4 * SECONDS) as crowd:
        thread = threading.Thread(target=chaos.run)
        thread.start()
        thread.join(3 * SECONDS + 120)
        crowd.stop()
        assert not chaos.errors, chaos.errors
        during = ledger(app, edition.id)  # the chaos is over: the unfinished go on
        shown_during = crowd.receipts_shown()
        crowd.finish(RECOVERY_SECONDS)
    residents = crowd.residents
    answers, failures = crowd.answers(), crowd.failures()
    report = {
        "chaos_seconds": round(chaos.elapsed, 1),
        "concurrent_residents": RESIDENTS,
        "residents": len(residents),
        "worker_kills": chaos.kills,
        "worker_restart_seconds": [round(t, 1) for t in chaos.restart_seconds],
        "postgres_restart_seconds": round(chaos.postgres_restart_seconds or -1, 2),
        "ballots_stored_during_chaos": during.ballots,
        "receipts_shown_during_chaos": shown_during,
        "receipts_shown_on_pressing_again": sum(
            1 for r in residents if r.casts > 1 and r.receipt is not None
        ),
        "answers": dict(sorted(answers.items())),
    }
    with capsys.disabled():
        print("\ncrash test:", json.dumps(report, ensure_ascii=False))
    assert chaos.kills >= KILLS_MIN, report
    assert chaos.postgres_restart_seconds is not None, report
    assert all(r.receipt for r in residents), (
        f"{sum(not r.receipt for r in residents)} residents never got a receipt: {report}\n"
        f"{failures[:20]}\n{app.log_tail()}"
    )
    book = ledger_check(app, edition.id, residents)
    assert book.ballots == len(residents) >= RESIDENTS
    assert not any(" 500" in answer for answer in answers), (report, app.log_tail())
    assert not failures, failures[:20]
