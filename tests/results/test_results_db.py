"""Real PB elections through the database: import the `.pb` file, tally the counted ballots.

Every `.pb` file in ``URNA_PABULIB_DIR`` (see ``pabulib_support``) goes into a fresh database
with ``edition_import_pabulib``; ``results_compute`` must then fund exactly the file's
``selected`` projects, with the file's tallies, from one counted ballot per vote. Łódź 2022
(90k ballots) runs on PostgreSQL only; the other files also on the embedded SQLite backend.
Greedy (and equal shares on Świecie 2023 and Andrzejów 2022) are cross-checked against
pabutools 1.2.3 on the files small enough for it (``PABUTOOLS_MAX_CELLS``, as in
``test_results_real_data.py``). Properties on random small elections are in
``test_results_db_properties.py``; the ``urna`` commands in ``test_cli.py``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from pabutools.election import Cost_Sat, parse_pabulib
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tests.conftest import fresh_database
from urna.core.db import create_engine, session_factory, transaction
from urna.editions.models import Pool
from urna.results.importer import ImportSummary, edition_import_pabulib
from urna.results.pabulib import scores
from urna.results.service import results_compute
from urna.voting.identity import AGE_BANDS, age_band
from urna.voting.models import Ballot, BallotChoice

from .pabulib_support import pabulib_file_names, pabulib_path, parsed
from .pabutools_bridge import ScoreTimesCostSat, pabutools_greedy, pabutools_mes

REPO_ROOT = Path(__file__).resolve().parents[2]
FILES = pabulib_file_names()
POSTGRES_ONLY_FILES = ("Poland_Lodz_2022.pb",)  # 90k ballots: an import of several seconds
PABUTOOLS_MAX_CELLS = 100_000  # voters x projects; pabutools is too slow beyond
PABUTOOLS_MES_FILES = ("Poland_Swiecie_2023.pb", "Poland_Lodz_2022_Andrzejow.pb")
RECEIPT = re.compile(r"^[0-9a-f]{64}$")
BANDS = {age_band(low) for low, _ in AGE_BANDS}


def file_param(name: str):
    if name in POSTGRES_ONLY_FILES:
        return pytest.param(name, id=name, marks=pytest.mark.postgres_only)
    return pytest.param(name, id=name, marks=pytest.mark.flow)


def selected(name: str) -> set[str]:
    return {project.project_id for project in parsed(name).projects if project.selected}


@dataclass
class Imported:
    name: str
    url: str
    engine: AsyncEngine
    summary: ImportSummary
    payload: dict[str, Any]

    def session(self) -> AsyncSession:
        return session_factory(self.engine)()

    @property
    def pool(self) -> dict[str, Any]:
        [pool] = self.payload["pools"]  # a pabulib file is one pool
        return pool


@pytest.fixture(scope="module", params=[file_param(name) for name in FILES])
async def imported(request, tmp_path_factory) -> AsyncIterator[Imported]:
    """The file imported into a database of its own and computed once (tests only read it)."""
    name = request.param
    path = pabulib_path(name)
    url, drop = await fresh_database(tmp_path_factory.mktemp("pabulib"))
    engine = create_engine(url, pool_size=2)
    try:
        async with transaction(session_factory(engine)) as session:
            summary = await edition_import_pabulib(session=session, path=path)
            payload = (await results_compute(session=session, edition=summary.edition)).as_json()
        yield Imported(name, url, engine, summary, payload)
    finally:
        await engine.dispose()
        await drop()


# ---- every real file -------------------------------------------------------------------


async def test_db_funds_exactly_the_selected_projects(imported):
    pool = imported.pool
    assert set(pool["funded"]) == selected(imported.name)
    assert len(pool["funded"]) == len(set(pool["funded"]))
    assert pool["spent"] <= pool["budget"] == parsed(imported.name).budget * 100


async def test_db_tallies_equal_the_files_scores(imported):
    instance = parsed(imported.name)
    votes = Counter(project_id for vote in instance.votes for project_id in vote.vote)
    rows = imported.pool["projects"]

    assert {row["number"]: row["points"] for row in rows} == scores(instance)
    assert {row["number"]: row["votes"] for row in rows} == {
        project.project_id: votes[project.project_id] for project in instance.projects
    }
    assert {row["number"]: row["cost"] for row in rows} == {
        project.project_id: project.cost * 100 for project in instance.projects
    }


async def test_every_vote_became_one_counted_ballot(imported):
    instance = parsed(imported.name)
    edition_id = imported.summary.edition.id
    async with imported.session() as session:
        ballots = (
            await session.execute(select(Ballot.status).where(Ballot.edition_id == edition_id))
        ).scalars()
        choices = (
            await session.execute(
                select(func.count())
                .select_from(BallotChoice)
                .join(Ballot, Ballot.id == BallotChoice.ballot_id)
                .where(Ballot.edition_id == edition_id)
            )
        ).scalar_one()

    assert Counter(ballots) == {"counted": len(instance.votes)}
    assert imported.summary.ballots == len(instance.votes)
    assert imported.payload["ballots"] == {
        "counted": len(instance.votes),
        "under_review": 0,
        "invalid": 0,
    }
    assert imported.pool["voters"] == len([vote for vote in instance.votes if vote.vote])
    assert choices == imported.summary.choices == sum(len(v.vote) for v in instance.votes)


async def test_imported_receipts_are_distinct_and_random_looking(imported):
    async with imported.session() as session:
        receipts = (
            await session.execute(
                select(Ballot.receipt_hash).where(Ballot.edition_id == imported.summary.edition.id)
            )
        ).scalars()
        receipts = list(receipts)

    assert len(receipts) == len(parsed(imported.name).votes)
    assert all(RECEIPT.match(receipt) for receipt in receipts)
    assert len(set(receipts)) == len(receipts)


async def test_ages_become_age_bands_and_no_age_is_stored(imported):
    instance = parsed(imported.name)
    edition_id = imported.summary.edition.id
    async with imported.session() as session:
        bands = Counter(
            (
                await session.execute(
                    select(Ballot.age_band).where(Ballot.edition_id == edition_id)
                )
            ).scalars()
        )
        # The columns as the migrations built them, not as the model declares them.
        columns = set((await session.execute(text("SELECT * FROM ballot LIMIT 0"))).keys())

    expected = Counter(
        age_band(vote.age) if vote.age is not None else "" for vote in instance.votes
    )
    assert bands == expected
    assert set(bands) <= BANDS | {""}
    if any(vote.age is not None for vote in instance.votes):
        assert set(bands) - {""}, "the file has ages, so some ballots must carry a band"
    assert {name for name in columns if re.search(r"(^|_)(age|birth)($|_)", name)} == {"age_band"}


@pytest.mark.postgres_only
async def test_import_leaves_the_planner_statistics_of_its_ballots(imported):
    """Without an ANALYZE after the COPY the planner took the 90k new ballots of Łódź 2022
    for one row: the first tally ran as a nested loop with an on-disk sort (1.0 s, not 0.5)."""
    if imported.url.startswith("sqlite"):
        return  # SQLite plans without table statistics
    async with imported.session() as session:
        estimates = dict(
            (
                await session.execute(
                    text(
                        "SELECT relname, reltuples FROM pg_class "
                        "WHERE relname IN ('ballot', 'ballot_choice')"
                    )
                )
            ).all()
        )
    assert estimates["ballot"] >= imported.summary.ballots
    assert estimates["ballot_choice"] >= imported.summary.choices


# ---- against pabutools -----------------------------------------------------------------


def small_for_pabutools(name: str) -> bool:
    instance = parsed(name)
    return len(instance.votes) * len(instance.projects) <= PABUTOOLS_MAX_CELLS


@cache
def pabutools_parsed(name: str):
    return parse_pabulib(str(pabulib_path(name)))


async def computed_with_rule(imported: Imported, rule: str) -> dict[str, Any]:
    """The pool recomputed from the database under another rule (rolled back after)."""
    async with imported.session() as session:
        edition = imported.summary.edition
        await session.execute(update(Pool).where(Pool.edition_id == edition.id).values(rule=rule))
        payload = (await results_compute(session=session, edition=edition)).as_json()
        await session.rollback()
    [pool] = payload["pools"]
    return pool


async def test_db_greedy_matches_pabutools(imported):
    name = imported.name
    instance = parsed(name)
    if not small_for_pabutools(name):
        # pabutools needs 10-35 s here; the database greedy is checked against `selected`
        # above, and loadtests/bench_results_db.py compares Łódź 2022 with pabutools in full.
        assert set(imported.pool["funded"]) == selected(name)
        return
    pool = imported.pool if imported.pool["rule"] != "equal_shares" else None
    pool = pool or await computed_with_rule(imported, "greedy")
    pabu_instance, pabu_profile = pabutools_parsed(name)
    approval = instance.vote_type in ("approval", "choose-1")
    theirs = pabutools_greedy(
        pabu_instance,
        pabu_profile,
        sat_class=Cost_Sat if approval else ScoreTimesCostSat,
        min_score=pool["min_votes"],
        scores=scores(instance),
    )
    assert set(pool["funded"]) == theirs


@pytest.mark.parametrize("name", [file_param(name) for name in PABUTOOLS_MES_FILES])
async def test_db_equal_shares_matches_pabutools(name, tmp_path):
    """Equal shares with add one and greedy completion, from the database's approval sets."""
    url, drop = await fresh_database(tmp_path)
    engine = create_engine(url, pool_size=2)
    try:
        async with session_factory(engine)() as session:
            summary = await edition_import_pabulib(session=session, path=pabulib_path(name))
            await session.execute(
                update(Pool)
                .where(Pool.edition_id == summary.edition.id)
                .values(rule="equal_shares")
            )
            await session.commit()
            payload = (await results_compute(session=session, edition=summary.edition)).as_json()
    finally:
        await engine.dispose()
        await drop()
    pabu_instance, pabu_profile = pabutools_parsed(name)
    theirs = pabutools_mes(
        pabu_instance, pabu_profile.as_multiprofile(), add_one=True, fill_greedy=True
    )
    [pool] = payload["pools"]
    assert set(pool["funded"]) == theirs
    if parsed(name).meta["rule"] == "equalshares/add1":
        assert theirs == selected(name)
