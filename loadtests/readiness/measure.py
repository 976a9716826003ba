"""What the run records: every request (time, step, latency, outcome) per stage; CPU of the
processes on this machine by role; the generator's own ceiling on this machine."""

from __future__ import annotations

import os
import time
from collections import defaultdict
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

    def record(self, name: str, ms: float, ok: bool) -> None:
        self.samples.append(Sample(time.monotonic() - self.started, self.stage, name, ms, ok))

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


ROLES = {
    "database": lambda name, cmd: name.startswith("postgres"),
    "Redis": lambda name, cmd: name.startswith("redis-server"),
    "app": lambda name, cmd: "uvicorn" in cmd or "urna" in cmd,
}


@dataclass
class CpuSampler:
    """CPU % (100 = one core) of the database, Redis, app processes and this generator."""

    by_stage: dict[int, dict[str, list[float]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    _procs: dict[int, psutil.Process] = field(default_factory=dict)

    def sample(self, stage: int) -> None:
        me = os.getpid()
        totals: dict[str, float] = defaultdict(float)
        for proc in psutil.process_iter(["name", "cmdline"]):
            try:
                known = self._procs.setdefault(proc.pid, proc)
                busy = known.cpu_percent(None)
                if proc.pid == me:
                    totals["load generator"] += busy
                    continue
                cmd = " ".join(proc.info["cmdline"] or [])
                for role, matches in ROLES.items():
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
