"""Reading and writing pabulib `.pb` files, and tallying them with the rule their META names.

The format (Faliszewski et al., "Participatory Budgeting: Data, Tools and Analysis", and
pabulib.org): three sections, each a line ``META`` / ``PROJECTS`` / ``VOTES`` followed by a
``;``-separated CSV table with a header row (standard CSV quoting, UTF-8). META is a
``key;value`` table (an unquoted ``;`` inside a value stays in it). Columns vary between
files; unknown ones are kept as strings so that a file written back holds the same data. The
literal cell ``None`` (any case) marks a missing value, as in pabutools.

Scores: approval (and ``choose-1``) ballots give 1 point per approved project; cumulative and
scoring ballots give the ``points`` listed; ordinal ballots give the ``points`` column when the
file has one, else the META ``scoring_fn`` (``Borda`` or an explicit list such as ``3,2,1``),
by default Borda-like: the first of ``k`` places gets ``k`` points, the next ``k - 1``, and
so on, where ``k`` is META ``max_length`` or, without it, the ballot's own length.

Refused (`PabulibError`, naming the line): a section given twice, a META key given twice with
two values, a column named twice, a repeated or empty ``project_id`` or ``voter_id``, points
beyond 32 bits, a number that is not finite, an amount with a fraction of a grosz, a META
count that is not a whole number or, for ``num_projects`` and ``num_votes``, not what the
file holds. A vote that breaks its file's
limits (a project twice, too many projects) is read as written: the importer refuses the file
for it, the readiness replay sets the vote aside.
"""

from __future__ import annotations

import csv
import gc
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

from urna.core.money import GROSZE_PER_ZLOTY
from urna.results.pabulib_cells import POINTS_MAX as POINTS_MAX
from urna.results.pabulib_cells import Amount as Amount
from urna.results.pabulib_cells import PabulibError as PabulibError
from urna.results.pabulib_cells import (
    age,
    amount,
    id_list,
    integer,
    meta_checked,
    on_line,
    points_list,
    present,
    selected_as_written,
    selected_flag,
)
from urna.results.pabulib_cells import meta_number as meta_number
from urna.results.pabulib_meta import Notice as Notice
from urna.results.pabulib_meta import RuleSettings as RuleSettings
from urna.results.pabulib_meta import rule_meta as rule_meta
from urna.results.pabulib_meta import rule_settings
from urna.results.rules import Allocation, Project, equal_shares_allocate, greedy_allocate

SECTIONS = ("META", "PROJECTS", "VOTES")
_KNOWN_PROJECT_FIELDS = ("project_id", "cost", "name", "selected")
_VOTE_FIELDS = ("voter_id", "vote", "points", "age", "sex", "voting_method", "neighborhood")


@dataclass(slots=True)
class PbProject:
    project_id: str
    cost: Amount  # złoty, exact to the grosz
    name: str | None = None
    selected: bool | None = None  # None when the file has no `selected` value
    extra: dict[str, str] = field(default_factory=dict)  # every other column, as written


@dataclass(slots=True)
class PbVote:
    voter_id: str
    vote: tuple[str, ...]  # project ids; ranked best first for ordinal ballots
    points: tuple[int, ...] | None = None
    age: int | None = None
    sex: str | None = None
    voting_method: str | None = None
    neighborhood: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class PbInstance:
    meta: dict[str, str]
    projects: list[PbProject]
    votes: list[PbVote]
    project_columns: tuple[str, ...] = ("project_id", "cost", "name", "selected")
    vote_columns: tuple[str, ...] = ("voter_id", "vote")

    @property
    def budget(self) -> Amount:
        return amount(self.meta.get("budget"), "META budget")

    @property
    def units_per_zloty(self) -> int:
        """The money unit `pabulib_allocate` computes in: złoty, or grosze when an amount
        of the file has them (the rules count in whole units)."""
        amounts = [self.budget, *(project.cost for project in self.projects)]
        return 1 if all(isinstance(value, int) for value in amounts) else GROSZE_PER_ZLOTY

    @property
    def vote_type(self) -> str:
        return self.meta.get("vote_type", "approval").strip().lower()


# --- reading -----------------------------------------------------------------------------


def pabulib_read(path: str | PathLike[str]) -> PbInstance:
    """Parse a `.pb` file (UTF-8, an optional BOM is ignored)."""
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:  # where, in the office's terms: a line, not a byte
        line = raw[: error.start].count(b"\n") + 1
        raise PabulibError(
            f"the file is not UTF-8: line {line} holds the byte 0x{raw[error.start]:02x} "
            "(saved as Windows-1250 or ISO-8859-2?); save it as UTF-8"
        ) from None
    return pabulib_loads(text)


def pabulib_loads(text: str) -> PbInstance:
    """Parse the text of a `.pb` file."""
    with _no_cyclic_gc():
        return _parse(text)


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cycle collector: parsing allocates ~10 objects per ballot, none of them in a
    cycle, and the collector's repeated passes over them would double the parse time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _parse(text: str) -> PbInstance:
    tables, lines = _split_sections(text.removeprefix("\ufeff"))
    if "META" not in tables or "PROJECTS" not in tables:
        raise PabulibError("a pabulib file needs META and PROJECTS sections")
    meta, meta_lines = _parse_meta(tables["META"], lines["META"])
    meta_checked(meta, meta_lines)
    project_columns, project_rows = _header_and_rows(tables["PROJECTS"], "PROJECTS", lines)
    projects = [
        on_line("PROJECTS", line, _parse_project, project_columns, row)
        for row, line in zip(project_rows, lines["PROJECTS"][1:], strict=True)
    ]
    seen: dict[str, int] = {}  # one id twice would sum its votes into the last row's cost
    for project, line in zip(projects, lines["PROJECTS"][1:], strict=True):
        if not project.project_id:
            raise PabulibError(f"PROJECTS line {line}: project_id is empty")
        if seen.setdefault(project.project_id, line) != line:
            raise PabulibError(
                f"PROJECTS line {line}: project {project.project_id} is also on line "
                f"{seen[project.project_id]}"
            )
    vote_columns: tuple[str, ...] = ("voter_id", "vote")
    votes: list[PbVote] = []
    if "VOTES" in tables:
        vote_columns, vote_rows = _header_and_rows(tables["VOTES"], "VOTES", lines)
        votes = _parse_votes(vote_columns, vote_rows, lines["VOTES"][1:])
    for key, held in (("num_projects", len(projects)), ("num_votes", len(votes))):
        stated = meta_number(meta, key)
        if stated is not None and stated != held:  # a file cut short, or two stitched together
            raise PabulibError(f"META {key} is {stated}, but the file holds {held} {key[4:]}")
    return PbInstance(
        meta=meta,
        projects=projects,
        votes=votes,
        project_columns=project_columns,
        vote_columns=vote_columns,
    )


def _split_sections(text: str) -> tuple[dict[str, list[list[str]]], dict[str, list[int]]]:
    """Each section's rows, and the line of the file each row ends on (for messages)."""
    tables: dict[str, list[list[str]]] = {}
    lines: dict[str, list[int]] = {}
    starts: dict[str, int] = {}
    current: list[list[str]] | None = None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    for row in reader:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) == 1 and row[0].strip().upper() in SECTIONS:
            section = row[0].strip().upper()
            if section in starts:  # two files stitched together, or a section pasted twice
                raise PabulibError(
                    f"line {reader.line_num}: a second {section} section "
                    f"(the first begins on line {starts[section]})"
                )
            starts[section] = reader.line_num
            current = tables[section] = []
            current_lines = lines[section] = []
            continue
        if current is None:
            raise PabulibError(f"line {reader.line_num}: data before the first section header")
        current.append(row)
        current_lines.append(reader.line_num)
    return tables, lines


def _header_and_rows(
    table: list[list[str]], section: str, lines: dict[str, list[int]]
) -> tuple[tuple[str, ...], list[list[str]]]:
    if not table:
        raise PabulibError(f"{section} has no header row")
    header = tuple(cell.strip() for cell in table[0])
    for column in header:
        if column and header.count(column) > 1:  # which cell counts would be a guess
            raise PabulibError(
                f"{section} line {lines[section][0]}: the column {column} is named twice"
            )
    width = len(header)
    for row, line in zip(table[1:], lines[section][1:], strict=True):
        if len(row) != width:
            raise PabulibError(f"{section} line {line} has {len(row)} cells, expected {width}")
    return header, table[1:]


def _parse_meta(table: list[list[str]], lines: list[int]) -> tuple[dict[str, str], dict[str, int]]:
    """``key;value`` rows, and the line of each key. A value's unquoted ``;`` (a comment's
    free text) stays in the value, and a spreadsheet's trailing ``;`` is dropped; a key
    given twice must agree."""
    has_header = bool(table) and [cell.strip().lower() for cell in table[0]] == ["key", "value"]
    meta: dict[str, str] = {}
    seen: dict[str, int] = {}
    for row, line in list(zip(table, lines, strict=True))[1 if has_header else 0 :]:
        while len(row) > 2 and not row[-1].strip():
            row = row[:-1]
        key = row[0].strip()
        if len(row) < 2:
            raise PabulibError(f"META line {line}: {key} has no value")
        value = ";".join(row[1:]).strip()
        if meta.setdefault(key, value) != value:
            raise PabulibError(
                f"META line {line}: {key} is {value!r}, but line {seen[key]} says {meta[key]!r}"
            )
        seen.setdefault(key, line)
    return meta, seen


def _parse_project(header: tuple[str, ...], row: list[str]) -> PbProject:
    cells = dict(zip(header, row, strict=True))
    if "project_id" not in cells or "cost" not in cells:
        raise PabulibError("PROJECTS needs project_id and cost columns")
    project_id = cells["project_id"].strip()
    return PbProject(
        project_id=project_id,
        cost=amount(cells["cost"], f"cost of project {project_id}"),
        name=present(cells.get("name")),
        selected=selected_flag(present(cells.get("selected"))),
        extra={key: value for key, value in cells.items() if key not in _KNOWN_PROJECT_FIELDS}
        | selected_as_written(cells.get("selected")),
    )


def _parse_votes(header: tuple[str, ...], rows: list[list[str]], lines: list[int]) -> list[PbVote]:
    """Column by column: each distinct cell value is converted once (ballots repeat a lot:
    Łódź 2022 has 90k ballots but 24k distinct votes and a hundred distinct ages)."""
    if "voter_id" not in header or "vote" not in header:
        raise PabulibError("VOTES needs voter_id and vote columns")
    count = len(rows)
    columns = dict(zip(header, zip(*rows, strict=True), strict=True)) if rows else {}
    converters = {
        "voter_id": str.strip,
        "vote": id_list,
        "points": points_list,
        "age": age,
        "sex": present,
        "voting_method": present,
        "neighborhood": present,
    }
    converted = {
        name: _convert_column(columns[name], convert, lines) if name in columns else [None] * count
        for name, convert in converters.items()
    }
    seen: dict[str, int] = {}  # voter ids are unique: one twice is a resident counted twice
    for voter, line in zip(converted["voter_id"], lines, strict=True):
        if seen.setdefault(voter, line) != line and voter:
            raise PabulibError(f"VOTES line {line}: voter {voter} is also on line {seen[voter]}")
    if "" in seen:  # without an id, neither that check nor a refusal can name the voter
        raise PabulibError(f"VOTES line {seen['']}: voter_id is empty")
    extra_names = [name for name in header if name not in _VOTE_FIELDS]
    extras = (
        [
            dict(zip(extra_names, values, strict=True))
            for values in zip(*(columns[name] for name in extra_names), strict=True)
        ]
        if extra_names and rows
        else [{} for _ in range(count)]
    )
    # Positional: `converters` lists the columns in PbVote's field order, `extra` last.
    return list(map(PbVote, *(converted[name] for name in converters), extras))


def _convert_column(
    cells: tuple[str, ...], convert: Callable[[str], object], lines: list[int]
) -> list:
    table = {}
    for cell in set(cells):
        try:
            table[cell] = convert(cell)
        except PabulibError as error:
            raise PabulibError(f"VOTES line {lines[cells.index(cell)]}: {error}") from None
    return list(map(table.__getitem__, cells))


# --- tallying ----------------------------------------------------------------------------


def scores(instance: PbInstance) -> dict[str, int]:
    """Project id -> score: votes for approval, points for ordinal/cumulative/scoring."""
    result = {project.project_id: 0 for project in instance.projects}
    points_of = points_function(instance)
    for vote in instance.votes:
        given = points_of(vote)  # outside the try: its own refusals say what is wrong
        try:
            for project_id, points in zip(vote.vote, given, strict=True):
                result[project_id] += points
        except KeyError as error:
            raise PabulibError(f"voter {vote.voter_id}: unknown project {error.args[0]}") from None
        except ValueError:
            raise PabulibError(f"voter {vote.voter_id}: points do not match the vote") from None
    return result


def points_function(instance: PbInstance) -> Callable[[PbVote], Iterable[int]]:
    vote_type = instance.vote_type
    if vote_type in ("approval", "choose-1"):
        return lambda vote: [1] * len(vote.vote)
    if vote_type in ("cumulative", "scoring"):
        return lambda vote: vote.points or ()
    if vote_type == "ordinal":
        return lambda vote: _rank_points(instance, vote)
    raise PabulibError(f"unsupported vote_type {vote_type!r}")


def _rank_points(instance: PbInstance, vote: PbVote) -> tuple[int, ...]:
    if vote.points is not None:
        return vote.points
    scoring = instance.meta.get("scoring_fn", "").strip()
    if scoring and scoring.lower() != "borda":
        table = [integer(part, "META scoring_fn") for part in scoring.split(",")]
        if len(table) < len(vote.vote):
            raise PabulibError(f"scoring_fn gives points for {len(table)} places only")
        return tuple(table[: len(vote.vote)])
    places = meta_number(instance.meta, "max_length") or len(vote.vote)
    if len(vote.vote) > places:  # the last places would get 0 points, or fewer
        raise PabulibError(f"voter {vote.voter_id} ranks more projects than max_length {places}")
    return tuple(places - rank for rank in range(len(vote.vote)))


def pabulib_allocate(
    instance: PbInstance, *, tie_order: Sequence[str] | None = None, tie_seed: int | None = None
) -> Allocation:
    """Tally ``instance`` with the rule its META names (`pabulib_meta`)."""
    settings = rule_settings(instance.meta)
    if settings.rule is None:
        raise PabulibError(str(settings.notices[0]))
    points = scores(instance)
    unit = instance.units_per_zloty  # the allocation's amounts are in this unit
    projects = [
        Project(id=p.project_id, cost=int(p.cost * unit), score=points[p.project_id])
        for p in instance.projects
    ]
    budget = int(instance.budget * unit)
    if settings.rule != "equal_shares":
        return greedy_allocate(
            projects=projects,
            budget=budget,
            stop_at_first_misfit=settings.stop_at_first_misfit,
            threshold_votes=settings.min_score,
            tie_order=tie_order,
            tie_seed=tie_seed,
        )
    if instance.vote_type not in ("approval", "choose-1"):
        raise PabulibError("equal shares is implemented for approval ballots only")
    return equal_shares_allocate(
        projects=projects,
        ballots=approval_ballots(instance.votes),
        budget=budget,
        options=settings.mes,
        increment=unit,
        tie_order=tie_order,
        tie_seed=tie_seed,
    )


def approval_ballots(votes: Iterable[PbVote]) -> list[tuple[str, ...]]:
    return [vote.vote for vote in votes]
