"""Import a pabulib `.pb` file as an edition: its projects, its rule and every ballot.

Project numbers keep the file's ``project_id``; costs and the budget become grosze (×100,
exact: the file's złoty have at most two decimals);
META ``rule`` and ``min_project_score_threshold`` become the pool's settings; each vote
becomes a counted ballot with its points (1 for approval, the rank's points for ordinal,
the resident's for cumulative/scoring), its channel, age band and sex. Receipts of imported
ballots are random: nobody holds them.

The domains do the writing: the editions service creates the edition, its area, pool and
projects with the checks every edition passes; voting's bulk insert writes the ballots
(COPY on PostgreSQL). All in the caller's unit of work. What their checks refuse is said in
the file's terms (``project 17, cost``, ``META budget``), not as Urna's form fields.

An import is the whole election or nothing: a vote its own file's limits refuse (a project
twice, fewer or more projects than META ``min_length`` / ``max_length``, projects costing more
than ``max_sum_cost`` in all, which also becomes the pool's limit, points below 1 or above
``max_sum_points`` in all) refuses the file, naming the voter, as an unknown project does.
(The readiness replay, which casts the votes through the online form, sets such votes aside
instead.) A META date that is given but cannot be read, or a ``date_end`` before
``date_begin``, refuses the file too; without ``date_begin`` voting opens on 1 January 2000,
without ``date_end`` it closes the day it opens.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.errors import FormInvalid, validation_messages
from urna.core.i18n import N_
from urna.editions import repository as editions_repository
from urna.editions import service as editions
from urna.editions.models import Edition
from urna.editions.schemas import EditionIn
from urna.results import pabulib
from urna.results.import_checks import ImportRefused as ImportRefused
from urna.results.import_checks import VoteLimits, choices_checked, max_sum_cost, points_checked
from urna.results.pabulib_cells import grosze, present
from urna.voting.identity import age_band
from urna.voting.receipts import receipt_hashes_unheld
from urna.voting.service import BulkBallot, ballots_insert_bulk

_VOTE_TYPES = {"approval": "approval", "choose-1": "approval", "ordinal": "ordinal"}
_SEX = {"m": "M", "f": "F", "k": "F"}
# Urna's form fields as the file names them, so that a refusal says what to look for in it.
_POOL_KEYS = {
    "": "META min_length, max_length",  # the pool's own check: the most below the fewest
    "budget": "META budget",
    "min_choices": "META min_length",
    "max_choices": "META max_length",
    "max_total_cost": "META max_sum_cost",
    "min_votes": "META min_project_score_threshold",
    "rule": "META rule",
    "name": "META unit, district",
}
_PROJECT_COLUMNS = {"number": "project_id", "title": "name"}
_EDITION_KEYS = {"name": "META unit", "municipality": "META unit", "areas.0.name": "META district"}

# A day, and maybe its time: 07.10.2022 08:00, 2022-10-07T08:00:00+02:00.
_DAY_TIME = re.compile(
    r"(?P<day>[^ T]+)(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True, slots=True)
class ImportSummary:
    edition: Edition
    projects: int
    ballots: int
    choices: int
    notices: tuple[str, ...] = ()  # what the office must check, e.g. a rule Urna cannot run


def slug_of(path: str | Path) -> str:
    """``Poland_Lodz_2022.pb`` -> ``poland-lodz-2022`` (ASCII, lower case, dashes)."""
    name = unicodedata.normalize("NFKD", Path(path).stem.replace("ł", "l").replace("Ł", "L"))
    name = name.encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:80]


def _date(meta: dict[str, str], key: str, fallback: datetime) -> datetime:
    """META ``key`` as a day, or ``fallback`` when the file gives none; a date that cannot be
    read (31.02.2022) refuses the file rather than open the edition on another day. A time
    after the day (``07.10.2022 08:00``, ``2022-10-07T08:00:00``) says no other day."""
    text = (meta.get(key) or "").strip()
    if not text or text.lower() == "none":
        return fallback
    with_time = _DAY_TIME.fullmatch(text)
    day = with_time["day"] if with_time else text
    for fmt in ("%d.%m.%Y", "%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.strptime(day, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise pabulib.PabulibError(f"META {key} is not a date: {text!r}")


def _pool_rule(meta: dict[str, str]) -> pabulib.RuleSettings:
    """The pool's rule as META names it; a rule Urna cannot run leaves greedy for the office
    to change, with a notice (see `pabulib_meta`)."""
    settings = pabulib.rule_settings(meta)
    return settings if settings.rule is not None else replace(settings, rule="greedy")


def _pool_mes_fields(settings: pabulib.RuleSettings) -> dict[str, str]:
    """Pool columns of equal shares' options (the model's defaults when there are none)."""
    options = settings.mes.to_dict() if settings.mes is not None else {}
    return {f"mes_{name}": value for name, value in options.items()}


def _vote_type(instance: pabulib.PbInstance) -> str:
    vote_type = instance.vote_type
    if vote_type in _VOTE_TYPES:
        return _VOTE_TYPES[vote_type]
    if vote_type in ("cumulative", "scoring"):
        return vote_type
    raise ImportRefused(N_("Unsupported vote type: %(type)s"), params={"type": vote_type})


async def edition_import_pabulib(
    *,
    session: AsyncSession,
    path: str | Path,
    slug: str | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Create an edition from the file at ``path`` (flushed; the caller's unit of work
    commits it)."""
    report = progress or (lambda stage, done, total: None)
    report("read", 0, 1)
    instance, data, notices = edition_described(path, slug)
    report("read", 1, 1)
    edition = await _edition_create(session, data, instance)
    areas = await editions_repository.areas_of(session, edition.id)
    project_ids = {
        project.number: project.id
        for project in await editions_repository.projects_of(session, edition.id)
    }
    # pabulib has no times: the ballots are dated noon of the last voting day
    cast_at = edition.voting_closes_at - timedelta(hours=12)
    ballots = _ballots(instance, project_ids, cast_at, areas[0].id if areas else None)
    choices = sum(len(ballot.choices) for ballot in ballots)
    report("write", 0, len(ballots) + choices)
    await ballots_insert_bulk(session, edition_id=edition.id, ballots=ballots)
    report("write", len(ballots) + choices, len(ballots) + choices)
    return ImportSummary(edition, len(project_ids), len(ballots), choices, notices)


def edition_described(
    path: str | Path, slug: str | None = None
) -> tuple[pabulib.PbInstance, EditionIn, tuple[str, ...]]:
    """The file read, the edition it describes (without its ballots) and the notices for
    the office. The readiness replay (``loadtests/readiness``) creates this edition open
    for voting and casts the file's ballots through HTTP instead of writing them."""
    try:
        instance = pabulib.pabulib_read(path)
        data, notices = _edition_of(instance, path, slug or slug_of(path))
    except pabulib.PabulibError as error:
        raise ImportRefused(
            N_("The file cannot be imported: %(problem)s"), params={"problem": str(error)}
        ) from None
    return instance, data, notices


async def _edition_create(
    session: AsyncSession, data: EditionIn, instance: pabulib.PbInstance
) -> Edition:
    """The editions service creates the edition, its area, pool and projects, checked as
    every edition is (an address already taken, pool rules that do not fit the vote); a
    refusal names each field's problem."""
    try:
        return await editions.edition_create(session=session, data=data)
    except FormInvalid as error:
        problems = "; ".join(
            f"{_in_file_terms(field, instance)}: {message % error.params}"
            for field, message in error.errors.items()
        )
        raise ImportRefused(
            N_("The file cannot be imported: %(problem)s"), params={"problem": problems}
        ) from None


def _edition_of(
    instance: pabulib.PbInstance, path: str | Path, slug: str
) -> tuple[EditionIn, tuple[str, ...]]:
    """The edition a pabulib file describes: one pool (in a district when it names one),
    and what the office must check (a rule Urna cannot run)."""
    meta = instance.meta
    settings = _pool_rule(meta)
    opens = _date(meta, "date_begin", datetime(2000, 1, 1, tzinfo=UTC))
    closes = _date(meta, "date_end", opens) + timedelta(days=1)
    if closes <= opens:  # without date_begin, before the opening of 1 January 2000
        begin = (meta.get("date_begin") or "").strip()
        since = f"date_begin {begin!r}" if begin else "2000-01-01, the opening without date_begin"
        raise pabulib.PabulibError(f"META date_end {meta['date_end'].strip()!r} is before {since}")
    unit = _one_line(meta.get("unit"), 200) or "—"
    district = _one_line(meta.get("district") or meta.get("subunit"), 200)
    area = (slug_of(district)[:40] or "area") if district else None
    max_length = pabulib.meta_number(meta, "max_length")
    # Named as a Polish office names it ("Budżet obywatelski Świecie 2023"); pabulib's own
    # English description ("Municipal PB in Świecie") goes to the English description.
    polish = " ".join(
        part for part in ("Budżet obywatelski", unit, _one_line(meta.get("instance"), 40)) if part
    )
    name = f"{polish} – {district}" if district else polish
    english = (meta.get("description") or "").strip()
    data = {
        "slug": slug,
        "name": name.strip()[:200],
        "municipality": unit,
        "description": f"Zaimportowano z pabulib: {Path(path).name}",
        "description_en": ". ".join(
            part for part in (english, f"Imported from pabulib: {Path(path).name}") if part
        ),
        "voting_opens_at": opens,
        "voting_closes_at": closes,
        "results_at": closes + timedelta(days=1),
        "vote_type": _vote_type(instance),
        "publish_demographics": True,
        "areas": [{"code": area, "name": district}] if area else [],
        "pools": [
            {
                "code": "main",
                "name": district or unit,
                "kind": "district" if area else "citywide",
                "area": area,
                "budget": grosze(instance.budget),
                "min_choices": pabulib.meta_number(meta, "min_length") or 0,
                "max_choices": max(1, len(instance.projects)) if max_length is None else max_length,
                "max_total_cost": _grosze_or_none(max_sum_cost(instance)),
                "rule": settings.rule,
                "min_votes": settings.min_score,
                **_pool_mes_fields(settings),
            }
        ],
        "projects": [
            {
                "number": project.project_id,
                "pool": "main",
                "title": _one_line(project.name, 300) or f"Projekt {project.project_id}",
                "cost": grosze(project.cost),
                "area": area,
                "category": _one_line(_category(project), 80),
            }
            for project in instance.projects
        ],
    }
    notices = tuple(str(notice) for notice in settings.notices)
    try:
        return EditionIn.model_validate(data), notices
    except ValidationError as error:
        problems = "; ".join(
            f"{_in_file_terms(field, instance)}: {message}"
            for field, message in validation_messages(error).items()
        )
        raise ImportRefused(
            N_("The file does not describe a valid edition: %(problems)s"),
            params={"problems": problems},
        ) from None


def _in_file_terms(field: str, instance: pabulib.PbInstance) -> str:
    """``projects.0.cost`` as ``project 17, cost``, ``pools.0.budget`` as ``META budget``."""
    kind, _, rest = field.partition(".")
    index, _, name = rest.partition(".")
    if kind == "projects" and index.isdigit() and int(index) < len(instance.projects):
        project = instance.projects[int(index)]
        return f"project {project.project_id}, {_PROJECT_COLUMNS.get(name, name)}"
    if kind == "pools":
        return _POOL_KEYS.get(name, field)
    return _EDITION_KEYS.get(field, field)


def _grosze_or_none(zloty: pabulib.Amount | None) -> int | None:
    return None if zloty is None else grosze(zloty)


def _category(project: pabulib.PbProject) -> str | None:
    """The ``category`` column, or ``categories`` as pabutools also reads it (``None``: none)."""
    return present(project.extra.get("category")) or present(project.extra.get("categories"))


def _one_line(text: str | None, limit: int) -> str:
    """A text of the file as one line of at most ``limit`` characters: a quoted cell may hold
    line breaks and tabs, which a name on a page cannot."""
    return " ".join((text or "").split())[:limit].rstrip()


def _ballots(
    instance: pabulib.PbInstance,
    project_ids: dict[str, int],
    cast_at: datetime,
    area_id: int | None,
) -> list[BulkBallot]:
    """Every vote of the file as a counted ballot with its points and a receipt nobody
    holds."""
    points_of = pabulib.points_function(instance)
    limits = VoteLimits.of(instance)
    receipts = receipt_hashes_unheld(len(instance.votes))
    ballots: list[BulkBallot] = []
    for receipt, vote in zip(receipts, instance.votes, strict=True):
        choices_checked(vote, limits)
        try:
            points = tuple(points_of(vote))
            choices = [
                (project_ids[number], given)
                for number, given in zip(vote.vote, points, strict=True)
            ]
        except KeyError as error:
            raise ImportRefused(
                N_("Voter %(voter)s names an unknown project %(project)s."),
                params={"voter": vote.voter_id, "project": error.args[0]},
            ) from None
        except pabulib.PabulibError as error:  # an ordinal scoring_fn too short, or not a number
            raise ImportRefused(
                N_("The file cannot be imported: %(problem)s"),
                params={"problem": f"voter {vote.voter_id}: {error}"},
            ) from None
        except ValueError:
            raise ImportRefused(
                N_("Voter %(voter)s: the points do not match the vote."),
                params={"voter": vote.voter_id},
            ) from None
        if limits.scored:
            points_checked(vote, points, limits)
        ballots.append(
            BulkBallot(
                receipt_hash=receipt,
                channel="paper" if "paper" in (vote.voting_method or "").lower() else "online",
                submitted_at=cast_at,
                status="counted",
                area_id=area_id,
                age_band=age_band(vote.age) if vote.age is not None else "",
                sex=_SEX.get((vote.sex or "").strip().lower(), ""),
                choices=choices,
            )
        )
    return ballots
