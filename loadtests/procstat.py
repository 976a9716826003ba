"""What a server's processes (one process group: the supervisor and its workers) use
while a benchmark run goes on: each worker's peak resident memory, sampled from /proc
every 0.2 s, and the CPU seconds the whole group spent (user + system)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) one process of this machine has used (a PostgreSQL
    backend): less disturbed by other work than the wall clock. NaN when the process is
    not on this machine (a remote server)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / TICK


def _group_stats(group: int) -> dict[int, tuple[int, float]]:
    """pid -> (RSS bytes, CPU seconds) for every process of ``group``."""
    found = {}
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) != group:  # pgrp
                continue
            cpu = (int(fields[11]) + int(fields[12])) / TICK  # utime + stime
            found[int(status.parent.name)] = (int(fields[21]) * PAGE, cpu)
        except (OSError, IndexError, ValueError):
            continue
    return found


class GroupSample:
    """``with GroupSample(pgid) as sample: run()`` then ``sample.worker_peak_mb()`` and
    ``sample.cpu_seconds``."""

    def __init__(self, group: int) -> None:
        self.group = group
        self.peak: dict[int, int] = {}
        self.cpu_seconds = 0.0
        self._cpu_before: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> GroupSample:
        self._cpu_before = {pid: cpu for pid, (_, cpu) in _group_stats(self.group).items()}
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        after = _group_stats(self.group)
        before = self._cpu_before
        self.cpu_seconds = sum(cpu - before.get(pid, 0.0) for pid, (_, cpu) in after.items())

    def _sample(self) -> None:
        while not self._stop.is_set():
            for pid, (rss, _) in _group_stats(self.group).items():
                self.peak[pid] = max(self.peak.get(pid, 0), rss)
            self._stop.wait(0.2)

    def worker_peak_mb(self) -> float:
        """The largest worker's peak (the group's leader, the supervisor, excluded)."""
        workers = [rss for pid, rss in self.peak.items() if pid != self.group]
        return round(max(workers or [0]) / 2**20, 1)
