"""Benchmark: Urna's pabulib parser + allocation rules against pabutools on one real election.

Not a test. Times, in one process and one run, on Łódź 2022 by default (90,494 voters,
160 projects):

- Urna: parse, greedy (the file's rule: greedy with a 100-vote threshold), plain MES, and MES
  with add one + greedy completion;
- pabutools 1.2.3: ``parse_pabulib``, ``greedy_utilitarian_welfare(sat_class=Cost_Sat)`` on the
  projects above the threshold, and plain ``method_of_equal_shares(sat_class=Cost_Sat)``;

then prints the figures, the ratios, and whether both libraries chose the same projects.
Ratios use CPU time, which a busy machine disturbs less than wall-clock time (also shown).
pabutools' MES with add one is not run: it repeats the ~15-40 s MES once per złoty added to
each voter's budget (60 times on this file).

    PYTHONPATH=backend .venv/bin/python loadtests/bench_results_rules.py [--file PATH.pb]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from pabutools.election import Cost_Sat, Instance, parse_pabulib
from pabutools.rules import greedy_utilitarian_welfare, method_of_equal_shares

from urna.results.pabulib import approval_ballots, pabulib_read, rule_settings, scores
from urna.results.rules import (
    MesCompletion,
    MesOptions,
    Project,
    equal_shares_allocate,
    greedy_allocate,
)

T = TypeVar("T")
REPO_ROOT = Path(__file__).resolve().parents[1]


def default_file() -> Path:
    directory = os.environ.get("URNA_PABULIB_DIR") or REPO_ROOT / ".." / "shared/data/pabulib"
    return Path(directory) / "Poland_Lodz_2022.pb"


Figures = dict[str, tuple[float, float]]  # label -> (wall-clock seconds, CPU seconds)


def timed(label: str, action: Callable[[], T], figures: Figures) -> T:
    """Run ``action`` once; record and print its wall-clock and CPU time."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    figures[label] = (time.perf_counter() - wall, time.process_time() - cpu)
    print(f"  {label:<34} {figures[label][0]:8.3f} s wall  {figures[label][1]:8.3f} s CPU")
    return result


def run_urna(path: Path, figures: Figures) -> tuple[set[str], set[str]]:
    print("Urna")
    instance = timed("parse", lambda: pabulib_read(path), figures)
    settings = rule_settings(instance.meta)
    points = scores(instance)
    projects = [Project(p.project_id, p.cost, points[p.project_id]) for p in instance.projects]
    ballots = approval_ballots(instance.votes)
    greedy = timed(
        "greedy",
        lambda: greedy_allocate(
            projects=projects, budget=instance.budget, threshold_votes=settings.min_score
        ),
        figures,
    )
    mes = timed(
        "MES (plain)",
        lambda: equal_shares_allocate(
            projects=projects,
            ballots=ballots,
            budget=instance.budget,
            options=MesOptions(completion=MesCompletion.NONE),
        ),
        figures,
    )
    add_one = timed(
        "MES + add one + greedy completion",
        lambda: equal_shares_allocate(projects=projects, ballots=ballots, budget=instance.budget),
        figures,
    )
    runs = sum(1 for step in add_one.steps if step.kind == "mes_round")
    print(f"  (add one: {runs} MES runs, per-voter budget {float(add_one.per_voter_budget):.2f})")
    return set(greedy.funded), set(mes.funded)


def run_pabutools(path: Path, figures: Figures) -> tuple[set[str], set[str]]:
    print("pabutools")
    instance, profile = timed("parse_pabulib", lambda: parse_pabulib(str(path)), figures)
    threshold = rule_settings(instance.meta).min_score or 0
    eligible = Instance(
        [p for p in instance if profile.approval_score(p) >= threshold],
        budget_limit=instance.budget_limit,
    )
    greedy = timed(
        "greedy_utilitarian_welfare",
        lambda: greedy_utilitarian_welfare(eligible, profile, sat_class=Cost_Sat),
        figures,
    )
    mes = timed(
        "method_of_equal_shares",
        lambda: method_of_equal_shares(instance, profile, sat_class=Cost_Sat),
        figures,
    )
    return {p.name for p in greedy}, {p.name for p in mes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=default_file())
    path = parser.parse_args().file
    print(f"file: {path}")
    figures: Figures = {}
    urna_greedy, urna_mes = run_urna(path, figures)
    pabu_greedy, pabu_mes = run_pabutools(path, figures)

    print("ratios: pabutools time / Urna time (CPU time; wall clock in brackets)")
    rows = [
        ("parse + greedy", ["parse_pabulib", "greedy_utilitarian_welfare"], ["parse", "greedy"]),
        ("greedy alone", ["greedy_utilitarian_welfare"], ["greedy"]),
        ("parse + MES", ["parse_pabulib", "method_of_equal_shares"], ["parse", "MES (plain)"]),
        ("MES alone", ["method_of_equal_shares"], ["MES (plain)"]),
        (
            "pabutools plain MES / Urna MES + add one",
            ["method_of_equal_shares"],
            ["MES + add one + greedy completion"],
        ),
    ]
    for label, theirs, ours in rows:
        cpu = [sum(figures[name][1] for name in names) for names in (theirs, ours)]
        wall = [sum(figures[name][0] for name in names) for names in (theirs, ours)]
        print(
            f"  {label:<42} {cpu[0]:8.3f} s / {cpu[1]:7.3f} s = {cpu[0] / cpu[1]:7.1f}x"
            f"  [{wall[0] / wall[1]:.1f}x]"
        )
    print("same outcome")
    print(f"  greedy: {urna_greedy == pabu_greedy}   MES: {urna_mes == pabu_mes}")


if __name__ == "__main__":
    main()
