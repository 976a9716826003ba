"""What the run records: every request (time, step, latency, outcome) per stage; CPU of the
processes on this machine by role; the generator's own ceiling on this machine."""

from __future__ import annotations

import os
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import psutil

BIN_SECONDS = 5.0


@dataclass
class Sample:
    at: float
    stage: int
    name: str
    ms: float
    ok: bool


@dataclass
class Timeline:
    started: float = field(default_factory=time.monotonic)
    samples: list[Sample] = field(default_factory=list)
    stage: int = 0
    failures: Counter = field(default_factory=Counter)  # (step, what went wrong) -> times

    def record(self, name: str, ms: float, ok: bool, error: object = None) -> None:
        self.samples.append(Sample(time.monotonic() - self.started, self.stage, name, ms, ok))
        if not ok:
            self.failures[(name, str(error)[:200])] += 1

    def of_stage(self, stage: int) -> list[Sample]:
        return [s for s in self.samples if s.stage == stage]

    def bins(self) -> list[dict]:
        """Per 5-second bin: requests/s, failures/s, p95 in ms."""
        grouped: dict[int, list[Sample]] = defaultdict(list)
        for sample in self.samples:
            grouped[int(sample.at // BIN_SECONDS)].append(sample)
        out = []
        for index in sorted(grouped):
            group = grouped[index]
            out.append(
                {
                    "t": index * BIN_SECONDS,
                    "rps": len(group) / BIN_SECONDS,
                    "fails": sum(not s.ok for s in group) / BIN_SECONDS,
                    "p95": percentile([s.ms for s in group], 0.95),
                }
            )
        return out


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def postgres_database(cmd: str) -> str | None:
    """The database a PostgreSQL backend serves, from its title ("postgres: 15/main: USER
    DB 127.0.0.1(port) idle"); None for the server's own processes (checkpointer, …)."""
    words = cmd.split()
    for index, word in enumerate(words[2:], start=2):
        if word == "[local]" or (word.endswith(")") and "(" in word):
            return words[index - 1]
    return None


ROLES = {
    "database": lambda name, cmd: name.startswith("postgres"),
    "Redis": lambda name, cmd: name.startswith("redis-server"),
    "app": lambda name, cmd: "uvicorn" in cmd or "urna" in cmd,
}


def serving(port: int) -> set[int]:
    """The processes listening on ``port`` (a uvicorn master and its workers) and their
    children: the app under test, told apart from other apps on a shared machine."""
    pids: set[int] = set()
    try:
        for conn in psutil.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port and conn.pid:
                pids.add(conn.pid)
    except psutil.AccessDenied:
        return set()
    for pid in list(pids):
        try:
            pids.update(child.pid for child in psutil.Process(pid).children(recursive=True))
        except psutil.NoSuchProcess:
            continue
    return pids


@dataclass
class CpuSampler:
    """CPU % (100 = one core) of the database, Redis, app processes and this generator.
    The app is ``app_pids`` when known (``serving``), else every uvicorn/urna process."""

    by_stage: dict[int, dict[str, list[float]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    _procs: dict[int, psutil.Process] = field(default_factory=dict)
    app_pids: set[int] = field(default_factory=set)
    # The target's database: backends of other databases (other runs on a shared server)
    # are not its load. None: every PostgreSQL process.
    database: str | None = None
    machine: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))

    def __post_init__(self) -> None:
        psutil.cpu_percent(None)  # the first reading of the whole machine sets its start

    def sample(self, stage: int, *, others: bool = True) -> None:
        """One reading; ``others=False`` (a remote target) reads this generator only, whose
        one busy core means its own limit is reached, whatever the target's."""
        me = os.getpid()
        if others:  # % of every core: whether the machine had CPU to spare at all
            self.machine[stage].append(psutil.cpu_percent(None))
        totals: dict[str, float] = defaultdict(float)
        procs = psutil.process_iter(["name", "cmdline"]) if others else [psutil.Process(me)]
        for proc in procs:
            try:
                known = self._procs.setdefault(proc.pid, proc)
                busy = known.cpu_percent(None)
                if proc.pid == me:
                    totals["load generator"] += busy
                    continue
                if proc.pid in self.app_pids:
                    totals["app"] += busy
                    continue
                cmd = " ".join(proc.info["cmdline"] or [])
                serves = postgres_database(cmd) if self.database else None
                if serves is not None and serves != self.database:
                    continue
                for role, matches in ROLES.items():
                    if role == "app" and self.app_pids:
                        continue
                    if matches(proc.info["name"] or "", cmd):
                        totals[role] += busy
                        break
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        for role, busy in totals.items():
            self.by_stage[stage][role].append(busy)

    def averages(self, stage: int) -> dict[str, float]:
        return {
            role: sum(values) / len(values)
            for role, values in self.by_stage.get(stage, {}).items()
            if values
        }

    def machine_average(self, stage: int) -> float | None:
        values = self.machine.get(stage)
        return sum(values) / len(values) if values else None
