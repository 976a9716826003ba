"""The replay: the real ballots of a pabulib file cast through HTTP, one resident per VOTE
line, and the database compared with the file at the end.

``plan`` reads the file (the project's pabulib reader) and sets aside, with the reason, the
votes the imported edition's limits refuse (a pool's minimum and maximum number of
projects, its cost ceiling, a project it does not have); the rest go to the residents in
the file's order. ``compare`` then checks, on the database's online ballots of the edition
(what the run added):

- ballots counted = casts acknowledged to the generator;
- choices per project = the file's VOTES section for the votes acknowledged;
- age bands = the bands of those voters' ages (when the file gives every one an age);
- when every vote of the file was cast into an edition that had no ballots before: the
  projects the results fund = the file's ``selected`` projects.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadtests.readiness.verdict import agreement
from urna.results.pabulib import PbInstance, PbVote, pabulib_read
from urna.voting.identity import age_band

REPO_ROOT = Path(__file__).resolve().parents[2]


def pabulib_dir() -> Path:
    """``URNA_PABULIB_DIR``, by default ``../shared/data/pabulib`` next to the repository."""
    configured = os.environ.get("URNA_PABULIB_DIR")
    return Path(configured) if configured else (REPO_ROOT / ".." / "shared/data/pabulib").resolve()


def pabulib_file(name: str) -> Path:
    """A file by its path, or by its name in ``pabulib_dir()``."""
    path = Path(name)
    return path if path.exists() or path.is_absolute() else pabulib_dir() / name


@dataclass
class Plan:
    path: Path
    instance: PbInstance
    votes: list[PbVote]  # to cast, in the file's order
    skipped: dict[str, int]  # reason -> votes set aside
    limit: int | None

    @property
    def whole_file(self) -> bool:
        return self.limit is None and not self.skipped

    def lines(self) -> list[tuple[str, str]]:
        total = len(self.instance.votes)
        out = [
            (
                f"Powtórka pliku {self.path.name}: {len(self.votes)} z {total} głosów przez HTTP.",
                f"Replay of {self.path.name}: {len(self.votes)} of {total} votes through HTTP.",
            )
        ]
        for reason, count in sorted(self.skipped.items()):
            out.append((f"Pominięto {count}: {REASONS[reason][0]}.",
                        f"Set aside {count}: {REASONS[reason][1]}."))  # fmt: skip
        return out


REASONS = {
    "empty": ("pusty głos", "an empty vote"),
    "unknown": ("projekt spoza edycji", "a project the edition does not have"),
    "too_many": ("więcej projektów niż pozwala pula", "more projects than the pool allows"),
    "too_few": ("mniej projektów niż wymaga pula", "fewer projects than the pool requires"),
    "too_costly": ("projekty droższe niż pozwala pula", "projects costing more than allowed"),
    "repeated": ("ten sam projekt dwa razy", "the same project twice"),
}


def refusal(vote: PbVote, edition: dict[str, Any]) -> str | None:
    """Why the edition's rules refuse this vote online, or None."""
    projects, pools = edition["projects"], edition["pools"]
    if not vote.vote:
        return "empty"
    if len(set(vote.vote)) != len(vote.vote):
        return "repeated"
    if any(number not in projects for number in vote.vote):
        return "unknown"
    by_pool: dict[str, list[dict]] = {}
    for number in vote.vote:
        by_pool.setdefault(str(projects[number]["pool"]), []).append(projects[number])
    for pool_id, chosen in by_pool.items():
        pool = pools[pool_id]
        if len(chosen) > pool["max_choices"]:
            return "too_many"
        if len(chosen) < pool["min_choices"]:
            return "too_few"
        ceiling = pool["max_total_cost"]
        if ceiling is not None and sum(p["cost"] for p in chosen) > ceiling:
            return "too_costly"
    return None


def plan(path: Path, edition: dict[str, Any], limit: int | None = None) -> Plan:
    instance = pabulib_read(path)
    votes, skipped = [], Counter()
    chosen = instance.votes[:limit] if limit is not None else instance.votes
    for vote in chosen:
        reason = refusal(vote, edition)
        if reason:
            skipped[reason] += 1
        else:
            votes.append(vote)
    if limit is not None and limit >= len(instance.votes):
        limit = None
    return Plan(path, instance, votes, dict(skipped), limit)


@dataclass
class Comparison:
    lines: list[tuple[str, str]] = field(default_factory=list)
    ok: bool = True
    counted: int = 0

    def check(self, equal: bool, pl: str, en: str) -> None:
        self.ok &= equal
        self.lines.append(agreement(equal, pl, en))


def _delta(after: dict[str, int], before: dict[str, int]) -> Counter:
    out = Counter(after)
    out.subtract(Counter(before))
    return Counter({key: value for key, value in out.items() if value})


def _differences(got: Counter, wanted: Counter, most: int = 5) -> str:
    keys = sorted(set(got) | set(wanted), key=lambda k: (-abs(got[k] - wanted[k]), k))
    shown = [f"{k}: {got[k]}≠{wanted[k]}" for k in keys if got[k] != wanted[k]][:most]
    return " (" + ", ".join(shown) + ")" if shown else ""


def compare(
    the_plan: Plan,
    *,
    replayed: list[PbVote],
    acknowledged: int,
    before: dict[str, Any],
    after: dict[str, Any],
) -> Comparison:
    result = Comparison()
    counted = after["ballots"] - before["ballots"]
    result.counted = counted
    result.check(
        counted == acknowledged,
        f"Głosów w bazie: {counted}, potwierdzonych generatorowi: {acknowledged}",
        f"Ballots in the database: {counted}, casts acknowledged to the generator: {acknowledged}",
    )
    got = _delta(after["projects"], before["projects"])
    wanted = Counter(number for vote in replayed for number in vote.vote)
    result.check(
        got == wanted,
        f"Głosy na projekty w bazie ({len(wanted)}) = sekcja VOTES pliku dla oddanych "
        f"głosów ({len(replayed)}){_differences(got, wanted)}",
        f"Votes for the projects in the database ({len(wanted)}) = the file's VOTES section "
        f"for the ballots cast ({len(replayed)}){_differences(got, wanted)}",
    )
    if replayed and all(vote.age is not None for vote in replayed):
        bands = _delta(after["age_bands"], before["age_bands"])
        wanted_bands = Counter(age_band(vote.age) for vote in replayed)
        result.check(
            bands == wanted_bands,
            f"Grupy wieku w bazie = wiek głosujących z pliku{_differences(bands, wanted_bands)}",
            f"Age bands in the database = the voters' ages in the file"
            f"{_differences(bands, wanted_bands)}",
        )
    selected = {p.project_id for p in the_plan.instance.projects if p.selected}
    has_selected = any(p.selected is not None for p in the_plan.instance.projects)
    everything = (
        the_plan.whole_file
        and before["ballots"] == 0
        and len(replayed) == len(the_plan.instance.votes)
        and after.get("statuses", {}) == {"counted": after["ballots"]}
    )
    if not has_selected:
        result.lines.append(
            ("Plik nie wskazuje wybranych projektów: wyników nie porównano.",
             "The file marks no selected projects: results not compared.")
        )  # fmt: skip
    elif everything:
        funded = set(after["funded"])
        result.check(
            funded == selected,
            f"Projekty finansowane według wyników z bazy ({len(funded)}) = wybrane w pliku "
            f"({len(selected)})",
            f"The projects the results computed from the database fund ({len(funded)}) = "
            f"the file's selected ({len(selected)})",
        )
    else:
        result.lines.append(
            (
                "Wyników nie porównano z plikiem: nie oddano wszystkich jego głosów "
                "(albo edycja miała już głosy).",
                "Results not compared with the file: not all of its votes were cast "
                "(or the edition already had ballots).",
            )
        )
    return result
