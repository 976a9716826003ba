"""Benchmark: Urna's pabulib parser + allocation rules against pabutools on one real election.

Not a test. Times, in one process and one run, on Łódź 2022 by default (90,494 voters,
160 projects):

- Urna: parse, greedy (the file's rule: greedy with a 100-vote threshold), plain MES, MES
  with add one (stopping at the first step over the budget, the default) + completion by
  votes, the same with the exhaustive stop (pabutools' rule), and the same with the
  comparison step;
- pabutools 1.2.3: ``parse_pabulib``, ``greedy_utilitarian_welfare(sat_class=Cost_Sat)`` on the
  projects above the threshold, and plain ``method_of_equal_shares(sat_class=Cost_Sat)``;

then prints the figures, the ratios, and whether both libraries chose the same projects.
Ratios use CPU time, which a busy machine disturbs less than wall-clock time (also shown);
Urna's figures are the best of three runs. pabutools' MES with add one is not run here (see
``bench_results_db.py``, which does).

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
    Add1Stop,
    Comparison,
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


def timed(label: str, action: Callable[[], T], figures: Figures, repeat: int = 1) -> T:
    """Run ``action`` ``repeat`` times; record and print the best wall-clock and CPU time."""
    best = (float("inf"), float("inf"))
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = action()
        run = (time.perf_counter() - wall, time.process_time() - cpu)
        best = min(best, run, key=lambda pair: pair[1])
    figures[label] = best
    print(f"  {label:<40} {best[0]:8.3f} s wall  {best[1]:8.3f} s CPU")
    return result


URNA_MES = {
    "MES (plain)": MesOptions(completion=MesCompletion.NONE),
    "MES + add one + by votes": MesOptions(),
    "MES + add one (exhaustive stop) + by votes": MesOptions(add1_stop=Add1Stop.EXHAUSTIVE),
    "MES + add one + by votes + comparison": MesOptions(comparison=Comparison.SATISFACTION),
}


def run_urna(path: Path, figures: Figures) -> tuple[set[str], set[str]]:
    print("Urna (best of 3)")
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
        repeat=3,
    )
    funded = {}
    for label, options in URNA_MES.items():
        result = timed(
            label,
            lambda options=options: equal_shares_allocate(
                projects=projects, ballots=ballots, budget=instance.budget, options=options
            ),
            figures,
            repeat=3,
        )
        funded[label] = result
    add_one = funded["MES + add one + by votes"]
    runs = sum(1 for step in add_one.steps if step.kind == "mes_round")
    print(f"  (add one: {runs} MES runs, per-voter budget {float(add_one.per_voter_budget):.2f})")
    comparison = funded["MES + add one + by votes + comparison"].comparison
    print(
        f"  (comparison: MES preferred by {comparison.prefer_mes} voters, "
        f"greedy by {comparison.prefer_greedy})"
    )
    return set(greedy.funded), set(funded["MES (plain)"].funded)


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
    ] + [
        (f"pabutools plain MES / Urna {label}", ["method_of_equal_shares"], [label])
        for label in list(URNA_MES)[1:]
    ]
    for label, theirs, ours in rows:
        cpu = [sum(figures[name][1] for name in names) for names in (theirs, ours)]
        wall = [sum(figures[name][0] for name in names) for names in (theirs, ours)]
        print(
            f"  {label:<62} {cpu[0]:8.3f} s / {cpu[1]:7.3f} s = {cpu[0] / cpu[1]:7.1f}x"
            f"  [{wall[0] / wall[1]:.1f}x]"
        )
    print("same outcome")
    print(f"  greedy: {urna_greedy == pabu_greedy}   MES: {urna_mes == pabu_mes}")


if __name__ == "__main__":
    main()
