"""What the app itself says it waited for, read from its ``/metrics`` before, during and
after a run: time to get a pooled database connection (and checkouts refused after the
pool's timeout), how long the session store's commands took (Redis as the app sees it),
how late the event loop ran its callbacks, the pool's size and the workers. CPU readings
cannot see a request waiting for a connection or for a remote Redis: an idle CPU and a
starved pool or a slow Redis look alike from outside.

``/metrics`` answers only a direct peer on ``URNA_METRICS_ALLOW``. With one worker, or with
``PROMETHEUS_MULTIPROC_DIR`` set, one answer covers every worker; with several workers and
no such directory each answer is one worker's (told apart by its start time), and a worker
first seen during a run is counted from its start."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field, fields

import requests
from prometheus_client.parser import text_string_to_metric_families

SLOW_WAIT_SECONDS = 1.0  # a request that waited longer than this for a connection
LATE_LOOP_SECONDS = 0.25  # an event loop that ran a callback this late is busy
SLOW_STORE_SECONDS = 0.1  # a session-store command this slow (a bucket of the app's histogram)
TIMEOUT_SECONDS = 3.0
# /metrics counts the outbox backlog with a pooled connection of its own: read it seldom
# during a stage, so the reading hardly adds to the waits it measures.
EVERY_SECONDS = 5.0


@dataclass
class Reading:
    """Counters since a worker's start (or every worker's, summed)."""

    waits: float = 0.0  # checkouts from the pool
    slow_waits: float = 0.0  # of them, longer than SLOW_WAIT_SECONDS
    wait_seconds: float = 0.0
    timeouts: float = 0.0
    probes: float = 0.0  # event-loop lag probes
    late: float = 0.0  # of them, later than LATE_LOOP_SECONDS
    store_commands: float = 0.0  # session-store commands
    slow_store: float = 0.0  # of them, longer than SLOW_STORE_SECONDS
    store_seconds: float = 0.0

    def __sub__(self, other: Reading) -> Reading:
        return Reading(*(getattr(self, f.name) - getattr(other, f.name) for f in fields(self)))

    def __add__(self, other: Reading) -> Reading:
        return Reading(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


@dataclass
class Snapshot:
    key: str  # "all" when one answer sums every worker, else the worker's start time
    workers: int
    pool_size: int | None
    pool_overflow: int | None
    reading: Reading


@dataclass
class AppSignals:
    """What the app waited for during one stage."""

    reading: Reading
    workers: int
    pool_size: int | None
    pool_overflow: int | None

    @property
    def pool_starved(self) -> bool:
        return self.reading.slow_waits >= 1 or self.reading.timeouts >= 1

    @property
    def late_share(self) -> float:
        return self.reading.late / self.reading.probes if self.reading.probes else 0.0

    @property
    def slow_store_share(self) -> float:
        commands = self.reading.store_commands
        return self.reading.slow_store / commands if commands else 0.0

    @property
    def store_mean_seconds(self) -> float:
        commands = self.reading.store_commands
        return self.reading.store_seconds / commands if commands else 0.0


def _above(buckets: dict[float, float], count: float, bound: float) -> float:
    """Observations above ``bound`` in a cumulative histogram."""
    return count - buckets.get(bound, count)


def parse(text: str) -> Snapshot | None:
    """The signals in one ``/metrics`` answer; None when the app does not export them."""
    values: dict[str, float] = {}
    buckets: dict[str, dict[float, float]] = defaultdict(dict)
    pool: dict[str, float] = {}
    start = None
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.endswith("_bucket"):
                buckets[sample.name[: -len("_bucket")]][float(sample.labels["le"])] = sample.value
            elif sample.name == "urna_db_pool_connections":
                pool[sample.labels.get("kind", "")] = sample.value
            elif sample.name == "process_start_time_seconds":
                start = sample.value
            else:
                values[sample.name] = values.get(sample.name, 0.0) + sample.value
    if "urna_db_pool_wait_seconds_count" not in values and not pool:
        return None
    waits = values.get("urna_db_pool_wait_seconds_count", 0.0)
    probes = values.get("urna_event_loop_lag_seconds_count", 0.0)
    commands = values.get("urna_session_store_seconds_count", 0.0)
    reading = Reading(
        waits=waits,
        slow_waits=_above(buckets["urna_db_pool_wait_seconds"], waits, SLOW_WAIT_SECONDS),
        wait_seconds=values.get("urna_db_pool_wait_seconds_sum", 0.0),
        timeouts=values.get("urna_db_pool_timeouts_total", 0.0),
        probes=probes,
        late=_above(buckets["urna_event_loop_lag_seconds"], probes, LATE_LOOP_SECONDS),
        store_commands=commands,
        slow_store=_above(buckets["urna_session_store_seconds"], commands, SLOW_STORE_SECONDS),
        store_seconds=values.get("urna_session_store_seconds_sum", 0.0),
    )
    size, overflow = pool.get("size"), pool.get("overflow")
    return Snapshot(
        key="all" if start is None else f"{start:.2f}",
        workers=int(values.get("urna_workers", 1)) or 1,
        pool_size=None if size is None else int(size),
        pool_overflow=None if overflow is None else int(overflow),
        reading=reading,
    )


@dataclass
class AppMetrics:
    """The target's ``/metrics``, read once per call of ``read`` and kept per stage
    (-1: before the first stage)."""

    target: str
    readings: list[tuple[int, Snapshot]] = field(default_factory=list)
    problem: tuple[str, str] | None = None  # why the metrics could not be read (pl, en)
    failed_reads: int = 0
    _last: float = float("-inf")

    def fetch(self) -> Snapshot | None:
        url = self.target.rstrip("/") + "/metrics"
        try:
            response = requests.get(url, timeout=TIMEOUT_SECONDS)
        except requests.RequestException as error:
            self.failed_reads += 1
            return self._unseen(f"{url}: {type(error).__name__}", f"{url}: {type(error).__name__}")
        if response.status_code != 200:
            return self._unseen(
                f"{url} odpowiada {response.status_code} — adres generatora nie jest w "
                "URNA_METRICS_ALLOW celu",
                f"{url} answers {response.status_code} — the generator's address is not in "
                "the target's URNA_METRICS_ALLOW",
            )
        snapshot = parse(response.text)
        if snapshot is None:
            return self._unseen(
                f"{url} nie podaje czasu czekania na połączenie z bazą (starsza wersja?)",
                f"{url} does not export the wait for a database connection (an older version?)",
            )
        self.problem = None
        return snapshot

    def _unseen(self, pl: str, en: str) -> None:
        if not self.readings:  # a run that never saw them says why; later misses are load
            self.problem = (pl, en)
        return None

    def read(self, stage: int, *, now: bool = False) -> None:
        """One reading for ``stage``, unless the last was under EVERY_SECONDS ago (``now``:
        whatever the time, as before and after a stage)."""
        if not now and time.monotonic() - self._last < EVERY_SECONDS:
            return
        self._last = time.monotonic()
        snapshot = self.fetch()
        if snapshot is not None:
            self.readings.append((stage, snapshot))

    def of_stage(self, stage: int) -> AppSignals | None:
        """The stage's increase of each worker's counters (from its last reading before
        the stage, or from its start when first seen during it), summed."""
        by_key: dict[str, list[tuple[int, Snapshot]]] = defaultdict(list)
        for index, snapshot in self.readings:
            by_key[snapshot.key].append((index, snapshot))
        total, seen = Reading(), []
        for series in by_key.values():
            during = [s for i, s in series if i == stage]
            if not during:
                continue  # not read during this stage
            before = [s for i, s in series if i < stage]
            start = before[-1].reading if before else Reading()
            total = total + (during[-1].reading - start)
            seen.append(during[-1])
        if not seen:
            return None
        workers = max(s.workers for s in seen) if seen[0].key == "all" else len(by_key)
        sizes = [s.pool_size for s in seen if s.pool_size is not None]
        overflows = [s.pool_overflow for s in seen if s.pool_overflow is not None]
        return AppSignals(
            reading=total,
            workers=workers,
            pool_size=max(sizes) if sizes else None,
            pool_overflow=max(overflows) if overflows else None,
        )
