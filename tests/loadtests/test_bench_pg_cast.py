"""The database-side benchmark of the cast runs and prints every figure the performance
notes quote, next to the floor's vote measured in the same database."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.live import REPO_ROOT

pytestmark = pytest.mark.postgres_only

ROWS = [
    "cast",
    "cast, foreign-key checks off",
    "cast, no wait for the WAL flush",
    "cast, 16 a transaction (core.dbbatch)",
    "floor vote",
    "request log row (COPY, 100 a batch)",
    "cast, without voter's fraud-key indexes",
]


def test_the_database_cost_of_a_cast_is_printed_against_the_floor():
    # 2,000 statements: the floor's (~150 µs each) then spans ~30 ticks of /proc's 10 ms
    # clock; with 300 it could read 0 ticks and print no ratio (it did under load)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "backend")}
    done = subprocess.run(
        [sys.executable, "loadtests/bench_pg_cast.py", "--ballots", "2000", "--rounds", "1"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    figures = {}
    for label in ROWS:
        match = re.search(rf"^{re.escape(label)}\s+(\d+)\s+([\d.]+)$", done.stdout, re.M)
        assert match, (label, done.stdout)
        figures[label] = (int(match.group(1)), float(match.group(2)))
    assert figures["floor vote"][1] == 1.0
    assert figures["cast"][0] > 0 and figures["floor vote"][0] > 0  # ticks of /proc: 10 ms
