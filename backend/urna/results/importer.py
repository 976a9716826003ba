"""Import a pabulib `.pb` file as an edition: its projects, its rule and every ballot.

Project numbers keep the file's ``project_id``; costs and the budget become grosze (×100);
META ``rule`` and ``min_project_score_threshold`` become the pool's settings; each vote
becomes a counted ballot with its points (1 for approval, the rank's points for ordinal,
the resident's for cumulative/scoring), its channel, age band and sex. Receipts of imported
ballots are random: nobody holds them. On PostgreSQL ballots and choices go in by COPY.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.db import is_postgres
from urna.core.errors import AppError
from urna.core.i18n import N_
from urna.editions import repository as editions_repository
from urna.editions.models import Area, Edition, Pool, Project
from urna.results import pabulib
from urna.voting.identity import age_band
from urna.voting.models import Ballot, BallotChoice

GROSZE_PER_ZLOTY = 100
_VOTE_TYPES = {"approval": "approval", "choose-1": "approval", "ordinal": "ordinal"}
_SEX = {"m": "M", "f": "F", "k": "F"}

Progress = Callable[[str, int, int], None]  # (stage, done, total)


class ImportRefused(AppError):
    status_code = 409


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


def _date(value: str | None, fallback: datetime) -> datetime:
    for fmt in ("%d.%m.%Y", "%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.strptime((value or "").strip(), fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return fallback


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
    """Create an edition from the file at ``path``, committed in one transaction."""
    report = progress or (lambda stage, done, total: None)
    report("read", 0, 1)
    try:
        instance = pabulib.pabulib_read(path)
    except pabulib.PabulibError as error:
        raise ImportRefused(
            N_("The file is not a pabulib file Urna can read: %(detail)s"),
            params={"detail": str(error)},
        ) from None
    report("read", 1, 1)
    slug = slug or slug_of(path)
    if await editions_repository.edition_by_slug(session, slug) is not None:
        raise ImportRefused(
            N_("An edition with the address %(slug)s already exists."), params={"slug": slug}
        )
    meta = instance.meta
    settings = _pool_rule(meta)
    vote_type = _vote_type(instance)
    opens = _date(meta.get("date_begin"), datetime(2000, 1, 1, tzinfo=UTC))
    closes = _date(meta.get("date_end"), opens) + timedelta(days=1)
    unit = meta.get("unit", "").strip() or "—"
    district = (meta.get("district") or meta.get("subunit") or "").strip()
    edition = Edition(
        slug=slug,
        name=(meta.get("description") or f"{unit} {meta.get('instance', '')}").strip()[:200],
        municipality=unit[:200],
        description=f"pabulib: {Path(path).name}",
        description_en=f"pabulib: {Path(path).name}",
        voting_opens_at=opens,
        voting_closes_at=closes,
        results_at=closes + timedelta(days=1),
        vote_type=vote_type,
        publish_demographics=True,
    )
    session.add(edition)
    await session.flush()
    area = None
    if district:
        area = Area(edition_id=edition.id, code=slug_of(district) or "area", name=district)
        session.add(area)
        await session.flush()
    max_length = meta.get("max_length")
    pool = Pool(
        edition_id=edition.id,
        code="main",
        name=district or unit,
        kind="district" if area else "citywide",
        area_id=area.id if area else None,
        budget=instance.budget * GROSZE_PER_ZLOTY,
        min_choices=int(meta.get("min_length") or 0),
        max_choices=int(max_length) if max_length else max(1, len(instance.projects)),
        rule=settings.rule,
        min_votes=settings.min_score,
        **_pool_mes_fields(settings),
    )
    session.add(pool)
    await session.flush()
    project_ids: dict[str, int] = {}
    for project in instance.projects:
        row = Project(
            edition_id=edition.id,
            pool_id=pool.id,
            number=project.project_id,
            title=(project.name or f"Projekt {project.project_id}")[:300],
            cost=project.cost * GROSZE_PER_ZLOTY,
            area_id=area.id if area else None,
            category=(project.extra.get("category") or "")[:80],
        )
        session.add(row)
        await session.flush()
        project_ids[project.project_id] = row.id
    # pabulib has no times: the ballots are dated noon of the last voting day
    cast_at = closes - timedelta(hours=12)
    ballots, choices = _rows(instance, edition, pool, project_ids, cast_at, area)
    await _write(session, ballots, choices, report)
    await session.commit()
    notices = tuple(str(notice) for notice in settings.notices)
    return ImportSummary(edition, len(project_ids), len(ballots), len(choices), notices)


def _rows(
    instance: pabulib.PbInstance,
    edition: Edition,
    pool: Pool,
    project_ids: dict[str, int],
    cast_at: datetime,
    area: Area | None,
) -> tuple[list[tuple], list[tuple]]:
    """Ballot rows (without ids) and choice rows (ballot index, project, pool, points)."""
    points_of = pabulib.points_function(instance)
    ballots: list[tuple] = []
    choices: list[tuple] = []
    area_id = area.id if area else None
    for index, vote in enumerate(instance.votes):
        method = (vote.voting_method or "").lower()
        ballots.append(
            (
                edition.id,
                "paper" if "paper" in method else "online",
                "counted",
                secrets.token_hex(32),
                cast_at,
                area_id,
                age_band(vote.age) if vote.age is not None else "",
                _SEX.get((vote.sex or "").strip().lower(), ""),
            )
        )
        try:
            for number, points in zip(vote.vote, points_of(vote), strict=True):
                choices.append((index, project_ids[number], pool.id, points))
        except KeyError as error:
            raise ImportRefused(
                N_("Voter %(voter)s names an unknown project %(project)s."),
                params={"voter": vote.voter_id, "project": error.args[0]},
            ) from None
        except ValueError:
            raise ImportRefused(
                N_("Voter %(voter)s: the points do not match the vote."),
                params={"voter": vote.voter_id},
            ) from None
    return ballots, choices


BALLOT_COLUMNS = (
    "edition_id",
    "channel",
    "status",
    "receipt_hash",
    "submitted_at",
    "area_id",
    "age_band",
    "sex",
)


async def _write(
    session: AsyncSession, ballots: list[tuple], choices: list[tuple], report: Progress
) -> None:
    total = len(ballots) + len(choices)
    report("write", 0, total)
    if is_postgres(session):
        ids = (
            (
                await session.execute(
                    text(
                        "SELECT nextval(pg_get_serial_sequence('ballot', 'id')) "
                        "FROM generate_series(1, :n)"
                    ),
                    {"n": len(ballots)},
                )
            )
            .scalars()
            .all()
        )
        connection = await session.connection()
        raw = (await connection.get_raw_connection()).driver_connection
        await raw.copy_records_to_table(
            "ballot",
            records=[(ballot_id, *row) for ballot_id, row in zip(ids, ballots, strict=True)],
            columns=("id", *BALLOT_COLUMNS),
        )
        report("write", len(ballots), total)
        await raw.copy_records_to_table(
            "ballot_choice",
            records=[
                (ids[index], project, pool, points) for index, project, pool, points in choices
            ],
            columns=("ballot_id", "project_id", "pool_id", "points"),
        )
        # Fresh statistics: without them the planner takes the new rows for none and tallies
        # them with a nested loop and an on-disk sort until autovacuum catches up.
        await session.execute(text("ANALYZE ballot"))
        await session.execute(text("ANALYZE ballot_choice"))
        report("write", total, total)
        return
    first = ((await session.execute(select(func.max(Ballot.id)))).scalar() or 0) + 1
    step = 5000
    for start in range(0, len(ballots), step):
        chunk = ballots[start : start + step]
        await session.execute(
            insert(Ballot),
            [
                {"id": first + start + offset, **dict(zip(BALLOT_COLUMNS, row, strict=True))}
                for offset, row in enumerate(chunk)
            ],
        )
        report("write", start + len(chunk), total)
    for start in range(0, len(choices), step):
        chunk = choices[start : start + step]
        await session.execute(
            insert(BallotChoice),
            [
                {"ballot_id": first + index, "project_id": p, "pool_id": pool, "points": points}
                for index, p, pool, points in chunk
            ],
        )
        report("write", len(ballots) + start + len(chunk), total)
