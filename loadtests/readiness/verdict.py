"""Service-level objectives per stage, and the verdict in plain Polish and English."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from loadtests.readiness.appmetrics import AppSignals
from loadtests.readiness.limits import Seen, limit_of, others_line, signals_line, unseen_lines
from loadtests.readiness.measure import Sample, percentile
from loadtests.readiness.profile import Stage

FIRST_STEP = "1 edition page"
REACHED_SHARE = 0.8  # of the stage's residents per minute, or the stage fails
STEP_LABELS = {
    "1": ("strona edycji", "edition page"),
    "2": ("klauzula", "clause"),
    "3": ("dane", "identity"),
    "4": ("kod", "code"),
    "5": ("wybór", "choices"),
    "6": ("oddanie głosu", "cast"),
    "7": ("sprawdzenie potwierdzenia", "receipt check"),
}


@dataclass(frozen=True)
class Objectives:
    max_error_rate: float = 0.01
    p95_ms: float = 1500.0
    p99_ms: float = 3000.0


@dataclass
class StageResult:
    stage: Stage
    requests: int
    errors: int
    rps: float
    steps: dict[str, dict[str, float]]  # name → count, p95, p99, errors
    bots_let_through: int
    cpu: dict[str, float]
    problems: list[tuple[str, str]] = field(default_factory=list)  # (pl, en)
    reached_per_minute: float | None = None  # residents who began the flow, per minute
    app: AppSignals | None = None  # what the app waited for (its /metrics), when read
    machine_cpu: float | None = None  # % of every core of this machine

    @property
    def holds(self) -> bool:
        return not self.problems


def _step_label(name: str, language: int) -> str:
    return STEP_LABELS.get(name[:1], (name, name))[language] if name[:1].isdigit() else name


def reached(samples: list[Sample]) -> float | None:
    """Residents per minute who began the flow (the edition page answered): the load the
    generator offered. Closed-loop residents wait for each answer, so when answers are
    slow fewer residents arrive than the stage asks for."""
    starts = sorted(s.at for s in samples if s.name == FIRST_STEP)
    if len(starts) < 3 or starts[-1] <= starts[0]:
        return None
    return (len(starts) - 1) / (starts[-1] - starts[0]) * 60


def evaluate(
    stage: Stage,
    samples: list[Sample],
    cpu: dict,
    objectives: Objectives,
    *,
    app: AppSignals | None = None,
    machine_cpu: float | None = None,
) -> StageResult:
    by_name: dict[str, list[Sample]] = {}
    for sample in samples:
        by_name.setdefault(sample.name, []).append(sample)
    people = [s for s in samples if not s.name.startswith("bot:")]
    errors = sum(not s.ok for s in people)
    steps = {
        name: {
            "count": len(group),
            "p95": percentile([s.ms for s in group], 0.95),
            "p99": percentile([s.ms for s in group], 0.99),
            "errors": sum(not s.ok for s in group),
        }
        for name, group in sorted(by_name.items())
    }
    result = StageResult(
        stage=stage,
        requests=len(samples),
        errors=errors,
        rps=len(samples) / stage.seconds if stage.seconds else 0.0,
        steps=steps,
        bots_let_through=sum(not s.ok for s in samples if s.name.startswith("bot:")),
        cpu=cpu,
        reached_per_minute=reached(samples),
        app=app,
        machine_cpu=machine_cpu,
    )
    rate = errors / len(people) if people else 1.0
    per_min = stage.residents_per_minute
    if not people:
        result.problems.append(("brak odpowiedzi", "no answers at all"))
    if rate > objectives.max_error_rate:
        result.problems.append(
            (
                f"błędy {rate:.1%} przy {per_min:.0f} głosujących/min".replace(".", ","),
                f"errors {rate:.1%} at {per_min:.0f} residents/min",
            )
        )
    got = result.reached_per_minute
    if got is not None and got < REACHED_SHARE * per_min:
        result.problems.append(
            (
                f"zaczęło tylko {got:.0f} z {per_min:.0f} głosujących/min (czekali na odpowiedzi)",
                f"only {got:.0f} of {per_min:.0f} residents/min began (they waited on answers)",
            )
        )
    for name, step in steps.items():
        if name.startswith("bot:"):
            continue
        for key, budget in (("p95", objectives.p95_ms), ("p99", objectives.p99_ms)):
            if step[key] > budget:
                seconds = step[key] / 1000
                result.problems.append(
                    (
                        f"{key} kroku „{_step_label(name, 0)}” {seconds:.1f} s przy "
                        f"{per_min:.0f} głosujących/min".replace(".", ","),
                        f"{key} of the {_step_label(name, 1)} step {seconds:.1f} s at "
                        f"{per_min:.0f} residents/min",
                    )
                )
    if result.bots_let_through:
        result.problems.append(
            (
                f"{result.bots_let_through} żądań botów nie odrzucono",
                f"{result.bots_let_through} bot requests were not refused",
            )
        )
    return result


def agreement(equal: bool, pl: str, en: str) -> tuple[str, str]:
    """A comparison's line, ending with whether the two sides agree."""
    if equal:
        return pl + " — zgodne.", en + " — equal."
    return pl + " — NIEZGODNE.", en + " — NOT EQUAL."


GENERATOR_BOUND = 0.8  # of the generator's ceiling in requests per second
GENERATOR_CPU_BOUND = 90.0  # % of the one core gevent runs on


def generator_bound(results: list[StageResult], ceiling: float | None) -> bool:
    """The generator, not the app, set the pace: its requests came close to its ceiling
    on this machine, or its one core was busy."""
    near_ceiling = bool(ceiling) and any(r.rps >= GENERATOR_BOUND * ceiling for r in results)
    busy = any(r.cpu.get("load generator", 0.0) >= GENERATOR_CPU_BOUND for r in results)
    return near_ceiling or busy


@dataclass
class Verdict:
    holds_multiple: float | None
    peak_per_minute: float
    lines: dict[str, list[str]]
    ok: bool


def verdict(
    results: list[StageResult],
    *,
    peak_per_minute: float,
    counted_ok: bool,
    counted_line: tuple[str, str],
    generator_bound: bool,
    more_lines: Sequence[tuple[str, str]] = (),
    seen: Seen = Seen(),  # noqa: B008 - frozen
) -> Verdict:
    held = [r for r in results if r.holds]
    best = max((r.stage.multiple for r in held), default=None)
    failed = next((r for r in results if not r.holds), None)
    pl: list[str] = []
    en: list[str] = []
    if best is not None and counted_ok:
        rate = peak_per_minute * best
        pl.append(f"Wytrzymuje {best:g}× oczekiwany szczyt ({rate:.0f} głosujących/min).")
        en.append(f"Holds {best:g}× the expected peak ({rate:.0f} residents/min).")
    else:
        pl.append("Nie wytrzymuje oczekiwanego szczytu.")
        en.append("Does not hold the expected peak.")
    if failed is not None:
        limit = limit_of(failed.cpu, failed.app, seen)
        problem_pl, problem_en = failed.problems[0]
        if limit:
            problem_pl += f"; {limit[1]}"
            problem_en += f"; {limit[2]}"
        pl.append(f"Nie wytrzymuje {failed.stage.multiple:g}×: {problem_pl}.")
        en.append(f"Fails at {failed.stage.multiple:g}×: {problem_en}.")
    last = failed or (results[-1] if results else None)
    notes = [
        signals_line(last.app) if last is not None else None,
        *unseen_lines(seen, failed=failed is not None),
        others_line(last.cpu, last.machine_cpu) if last is not None else None,
    ]
    for line_pl, line_en in (*filter(None, notes), counted_line, *more_lines):
        pl.append(line_pl)
        en.append(line_en)
    if generator_bound:
        pl.append(
            "Uwaga: generator obciążenia zbliżył się do swojego limitu na tej maszynie "
            "(żądań na sekundę albo zajętości swojego rdzenia) — to jego granica, nie aplikacji."
        )
        en.append(
            "Note: the load generator came close to its own ceiling on this machine (requests "
            "per second, or its one core busy) — that limit is the generator's, not the app's."
        )
    return Verdict(best, peak_per_minute, {"pl": pl, "en": en}, best is not None and counted_ok)
