"""A crash test under load: residents vote concurrently through ``urna serve --workers 3``
on a private PostgreSQL while app workers are killed with SIGKILL again and again (the
uvicorn supervisor starts new ones) and PostgreSQL itself crashes once (``pg_ctl restart
-m immediate``: every backend gets SIGQUIT, crash recovery replays the WAL, fsync on).

Afterwards every receipt a resident was shown is exactly one ballot, no voter has two,
no ballot lacks its choices, and every stored ballot's receipt reached its resident:
either at once, or on pressing again ("this ballot is cast, here is your receipt").

Size and length: ``URNA_SOAK_SECONDS`` (chaos, default 40), ``URNA_SOAK_RESIDENTS``
(concurrent residents, default 8), ``URNA_SOAK_KILL_EVERY`` (seconds between kills,
default 3); ``make soak`` runs it longer and larger."""

from __future__ import annotations

import json
import os
import random
import signal
import threading
import time
from collections import Counter

import pytest

from tests.outage.conftest import WORKERS, Services
from tests.outage.ledger import ledger, ledger_check
from tests.outage.residents import Resident

pytestmark = pytest.mark.postgres_only

SECONDS = float(os.environ.get("URNA_SOAK_SECONDS", "40"))
RESIDENTS = int(os.environ.get("URNA_SOAK_RESIDENTS", "8"))
KILL_EVERY = float(os.environ.get("URNA_SOAK_KILL_EVERY", "3"))
KILLS_MIN = int(os.environ.get("URNA_SOAK_KILLS_MIN", "4"))
RECOVERY_SECONDS = 90.0  # after the chaos: the unfinished finish, on a healthy app


class Chaos:
    """Kills a serving worker every ~``KILL_EVERY`` s while another one serves (a worker
    still starting is left alone, so the app keeps answering), and crashes PostgreSQL once half-way through."""

    def __init__(self, services: Services, seconds: float) -> None:
        self.services = services
        self.started = time.monotonic()
        self.seconds = seconds
        self.done = threading.Event()  # the residents start no new vote once it is set
        self.kills = 0
        self.postgres_restart_seconds: float | None = None
        self.errors: list[BaseException] = []

    def _serving_worker(self) -> int | None:
        """A worker that is serving, while another one serves too."""
        serving = self.services.app.serving_workers(self.services.postgres.port)
        return random.choice(serving) if len(serving) >= 2 else None  # noqa: S311

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
                time.sleep(KILL_EVERY * random.uniform(0.5, 1.5))  # noqa: S311
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.errors.append(error)
        finally:
            self.elapsed = time.monotonic() - self.started
            self.done.set()


def test_killed_workers_and_a_postgres_crash_lose_no_ballot_double_none_split_none(
    services: Services, capsys
):
    app = services.app
    edition = app.edition_create()
    residents: list[Resident] = []
    lock = threading.Lock()

    chaos = Chaos(services, SECONDS)

    def resident_after_resident() -> None:
        while not chaos.done.is_set():
            resident = Resident(app.base_url, edition.slug)
            with lock:
                residents.append(resident)
            resident.vote(time.monotonic() + 4 * SECONDS, stop=chaos.done)

    threads = [threading.Thread(target=resident_after_resident) for _ in range(RESIDENTS)]
    threads.append(threading.Thread(target=chaos.run))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(3 * SECONDS + 120)
    assert not any(thread.is_alive() for thread in threads), "a resident hung"
    assert not chaos.errors, chaos.errors
    # The chaos is over: those shown no receipt yet go on from where they were.
    during = ledger(app, edition.id)
    shown_during = sum(r.receipt is not None for r in residents)
    unfinished = [r for r in residents if r.receipt is None]
    finishing = [
        threading.Thread(target=r.vote, args=(time.monotonic() + RECOVERY_SECONDS,))
        for r in unfinished
    ]
    for thread in finishing:
        thread.start()
    for thread in finishing:
        thread.join(RECOVERY_SECONDS + 30)
    for resident in residents:
        resident.close()

    answers = sum((r.answers for r in residents), Counter())
    failures = [f for r in residents for f in r.failures]
    report = {
        "chaos_seconds": round(chaos.elapsed, 1),
        "concurrent_residents": RESIDENTS,
        "residents": len(residents),
        "worker_kills": chaos.kills,
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
