"""The database side of a replay (its own process: the generator's is gevent's, the database
driver asyncio's). Answers one JSON object on stdout; a refusal is one line on stderr and
exit code 2.

``prepare URL FILE SLUG``: the edition the pabulib file describes, made by the project's
importer (``edition_described``: projects, pool, limits and rule as ``urna edition
import-pabulib`` makes them) without the file's ballots, open for voting from now on, with
a street register (a pabulib file has none) in its area and an information clause. An
edition already at ``SLUG`` is used when it is the file's (the same project numbers), open,
and takes approval ballots.

``tally URL SLUG``: what the database holds for the edition's online ballots: how many, by
status, choices per project number, age bands, and the projects the results fund."""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from loadtests.readiness.people import STREETS

REPLAY_AREA = "miasto"
OPEN_DAYS = 7
IDENTITY = ["first_name", "last_name", "address", "birth_date", "phone", "pesel"]


class Refused(Exception):
    """What the operator must fix, in Polish and English."""


async def _session(url: str):
    from urna import models as _every_table  # noqa: F401 - the ORM resolves foreign keys
    from urna.core.db import create_engine, session_factory

    engine = create_engine(url, pool_size=1)
    return engine, session_factory(engine)


async def _edition_summary(session, edition) -> dict[str, Any]:
    from urna.editions import repository
    from urna.editions.phases import edition_phase

    streets = [street.name for street in await repository.streets_of(session, edition.id)]
    projects = await repository.projects_of(session, edition.id)
    return {
        "slug": edition.slug,
        "edition_id": edition.id,
        "phase": edition_phase(edition),
        "vote_type": edition.vote_type,
        "streets": streets,
        "projects": {p.number: {"pool": p.pool_id, "cost": p.cost} for p in projects},
        "pools": {
            pool.id: {
                "min_choices": pool.min_choices,
                "max_choices": pool.max_choices,
                "max_total_cost": pool.max_total_cost,
            }
            for pool in await repository.pools_of(session, edition.id)
        },
    }


def _replay_edition(path: Path, slug: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The importer's edition of the file, opened now, with streets in its area."""
    from urna.core.db import utcnow
    from urna.results.importer import edition_described

    instance, described, notices = edition_described(path, slug)
    if instance.vote_type not in ("approval", "choose-1"):
        raise Refused(
            f"Plik {path.name} ma głosy typu {instance.vote_type}: przez internet oddaje się "
            "tylko głosy aprobujące (approval).\n"
            f"{path.name} holds {instance.vote_type} ballots: online voting takes approval "
            "ballots only."
        )
    data = described.model_dump(mode="json")
    now = utcnow()
    area = data["areas"][0]["code"] if data["areas"] else REPLAY_AREA
    if not data["areas"]:
        data["areas"] = [{"code": REPLAY_AREA, "name": data["municipality"]}]
    data.update(
        voting_opens_at=(now - timedelta(hours=1)).isoformat(),
        voting_closes_at=(now + timedelta(days=OPEN_DAYS)).isoformat(),
        results_at=(now + timedelta(days=OPEN_DAYS + 1)).isoformat(),
        required_fields=IDENTITY,
        streets=[{"name": name, "area": area} for name in STREETS],
        description=data["description"] + " — powtórka głosów przez HTTP (test gotowości).",
        description_en=data["description_en"] + " — ballots replayed through HTTP (readiness).",
        clause=_clause(),
    )
    return data, notices


def _clause() -> dict[str, str]:
    """The demo's information clause (a model text of a real clause's length: the clause
    step renders it on every view), marked as a load test's."""
    import urna.demo

    folder = Path(urna.demo.__file__).parent
    note_pl = "**Edycja testu gotowości: tekst wzorcowy, nie prawdziwe głosowanie.**\n\n"
    note_en = "**A readiness test's edition: a model text, not a real vote.**\n\n"
    return {
        "title": "Klauzula informacyjna (test gotowości)",
        "body": note_pl + (folder / "clause_pl.md").read_text(encoding="utf-8"),
        "body_en": note_en + (folder / "clause_en.md").read_text(encoding="utf-8"),
    }


async def prepare(url: str, path: Path, slug: str) -> dict[str, Any]:
    from urna.core.db import transaction
    from urna.editions import repository
    from urna.privacy import service as privacy
    from urna.results.pabulib import pabulib_read

    engine, factory = await _session(url)
    try:
        async with transaction(factory) as session:
            edition = await repository.edition_by_slug(session, slug)
            created, notices = edition is None, ()
            if edition is None:
                data, notices = _replay_edition(path, slug)
                edition = await privacy.edition_import(session=session, data=data)
            summary = await _edition_summary(session, edition)
        if not created:
            wanted = sorted(project.project_id for project in pabulib_read(path).projects)
            if sorted(summary["projects"]) != wanted:
                raise Refused(
                    f"Edycja {slug} istnieje, ale nie jest edycją pliku {path.name} (inne "
                    "projekty). Podaj inny --edition.\n"
                    f"The edition {slug} exists but is not the edition of {path.name} "
                    "(other projects). Give another --edition."
                )
            if summary["phase"] != "open" or summary["vote_type"] != "approval":
                raise Refused(
                    f"Edycja {slug} nie przyjmuje teraz głosów przez internet.\n"
                    f"The edition {slug} does not take online ballots now."
                )
        summary |= {"created": created, "notices": list(notices)}
        summary["before"] = await tally_of(factory, summary["edition_id"], results=False)
        return summary
    finally:
        await engine.dispose()


async def tally_of(factory, edition_id: int, *, results: bool = True) -> dict[str, Any]:
    from urna.editions.models import Project
    from urna.voting.models import Ballot, BallotChoice

    online = (Ballot.edition_id == edition_id) & (Ballot.channel == "online")
    async with factory() as session:
        statuses = dict(
            (await session.execute(select(Ballot.status, func.count()).where(online).group_by(
                Ballot.status
            ))).all()
        )  # fmt: skip
        projects = dict(
            (
                await session.execute(
                    select(Project.number, func.count())
                    .select_from(BallotChoice)
                    .join(Ballot, Ballot.id == BallotChoice.ballot_id)
                    .join(Project, Project.id == BallotChoice.project_id)
                    .where(online)
                    .group_by(Project.number)
                )
            ).all()
        )
        bands = dict(
            (
                await session.execute(
                    select(Ballot.age_band, func.count()).where(online).group_by(Ballot.age_band)
                )
            ).all()
        )
        out: dict[str, Any] = {
            "ballots": sum(statuses.values()),
            "statuses": statuses,
            "projects": projects,
            "age_bands": bands,
        }
        if results:
            out["funded"] = await _funded(session, edition_id)
    return out


async def _funded(session, edition_id: int) -> list[str]:
    from urna.editions import repository
    from urna.results.service import results_compute

    edition = await repository.edition_by_id(session, edition_id)
    payload = await results_compute(session=session, edition=edition)
    return sorted(number for pool in payload.pools for number in pool.funded)


async def tally(url: str, slug: str) -> dict[str, Any]:
    from urna.editions import repository

    engine, factory = await _session(url)
    try:
        async with factory() as session:
            edition = await repository.edition_by_slug(session, slug)
        if edition is None:
            raise Refused(f"Nie ma edycji {slug}.\nThere is no edition {slug}.")
        return await tally_of(factory, edition.id)
    finally:
        await engine.dispose()


def main(argv: list[str]) -> int:
    try:
        if argv[0] == "prepare":
            out = asyncio.run(prepare(argv[1], Path(argv[2]), argv[3]))
        else:
            out = asyncio.run(tally(argv[1], argv[2]))
    except Refused as error:
        print(error, file=sys.stderr)
        return 2
    except Exception as error:  # noqa: BLE001 - an import refusal names the file's problem
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        return 2
    print(json.dumps(out, default=str))
    return 0


def in_subprocess(*args: str) -> dict[str, Any]:
    """Run a command of this module in its own process; ``Refused`` with its message."""
    import subprocess

    done = subprocess.run(
        [sys.executable, "-m", "loadtests.readiness.replaydb", *args],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise Refused(done.stderr.strip() or f"exit code {done.returncode}")
    return json.loads(done.stdout)


def counter(mapping: dict[str, int]) -> Counter:
    return Counter({key: value for key, value in mapping.items() if value})


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
