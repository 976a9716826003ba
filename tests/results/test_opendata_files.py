"""The open data of a published run is built once, at publication, and served by its
SHA-256: the same bytes at every download, 304 for a browser that has them, no ballot read
after publication, and bytes identical to what the generator reading the ballots writes."""

from __future__ import annotations

import codecs
import hashlib
import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select, update

from tests.factories.editions import edition_create, voting_close
from tests.results.factories import ballots_add
from urna.core.db import transaction
from urna.editions.models import Edition, Project
from urna.results import files, opendata
from urna.results import repository as results_repository
from urna.results import service as results
from urna.results.models import ResultFile
from urna.results.schemas import canonical_json

pytestmark = pytest.mark.flow

NUMBERS = ("C1", "C2", "C3", "N1", "N2")


@contextmanager
def statements(app) -> Iterator[list[str]]:
    """The SQL statements the app's engine runs meanwhile."""
    seen: list[str] = []
    engine = app.state.ctx.engine.sync_engine

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def reads_ballots(seen: list[str]) -> list[str]:
    return [s for s in seen if re.search(r"\bballot(_choice)?\b", s)]


async def _published(app, *, demographics: bool = False, title: str = "") -> Edition:
    edition = await edition_create(app, publish_demographics=demographics)
    if title:  # C1's
        async with transaction(app.state.ctx.db) as session:
            await session.execute(
                update(Project)
                .where(Project.edition_id == edition.id, Project.number == "C1")
                .values(title=title)
            )
    choices = [list(pair) for pair in itertools.combinations(NUMBERS, 2)] + [["C1"], ["N2"]]
    await ballots_add(app, edition, choices)
    await voting_close(app, edition.id)
    async with transaction(app.state.ctx.db) as session:
        found = await session.get(Edition, edition.id)
        run = await results.run_create(session=session, edition=found, actor_id=None)
        await results.run_publish(session=session, edition=found, run_id=run.id, actor_id=None)
    return edition


async def test_files_are_built_at_publication_and_served_by_digest(app, client):
    edition = await _published(app)
    slug = edition.slug
    async with app.state.ctx.db() as session:
        run = await results_repository.run_published(session, edition.id)
        stored = {
            f.name: f
            for f in (
                await session.execute(select(ResultFile).where(ResultFile.run_id == run.id))
            ).scalars()
        }
        # what the generator that reads the ballots writes, byte for byte
        old = {
            code: (
                await opendata.results_pabulib(
                    session=session, edition=edition, run=run, pool_code=code
                )
            )[1]
            for code in ("CITY", "N")
        }
    assert set(stored) == {"results.json", "results.csv", "pb:0:CITY", "pb:0:N", "pb:0:S"}
    assert stored["results.json"].content == canonical_json(run.payload).encode()
    assert stored["results.csv"].content == codecs.BOM_UTF8 + opendata.results_csv(run).encode()
    for code, text in old.items():
        assert stored[f"pb:0:{code}"].content == text.encode()
    for file in stored.values():
        assert file.sha256 == hashlib.sha256(file.content).hexdigest()
        assert file.size == len(file.content)

    with statements(app) as first_seen:
        first = await client.get(f"/e/{slug}/results.pb")  # the first pool: CITY
    with statements(app) as second_seen:
        second = await client.get(f"/e/{slug}/results.pb")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content == old["CITY"].encode()
    assert not reads_ballots(first_seen) and not reads_ballots(second_seen)
    assert len(second_seen) <= 4  # edition, first pool, the file's digest, its bytes
    etag = first.headers["etag"]
    assert etag == f'"{stored["pb:0:CITY"].sha256}"'
    assert "max-age" in first.headers["cache-control"]
    assert first.headers["content-disposition"] == f'attachment; filename="{slug}-CITY.pb"'

    with statements(app) as cached_seen:
        cached = await client.get(f"/e/{slug}/results.pb", headers={"If-None-Match": etag})
    assert cached.status_code == 304 and cached.content == b""
    assert cached.headers["etag"] == etag
    assert not any("content" in s for s in cached_seen)  # the bytes are not even read
    other = await client.get(f"/e/{slug}/results.pb", headers={"If-None-Match": '"abc"'})
    assert other.status_code == 200 and other.content == first.content

    for name, suffix in (("results.json", "results.json"), ("results.csv", "results.csv")):
        response = await client.get(f"/e/{slug}/{suffix}")
        assert response.content == stored[name].content
        assert response.headers["etag"] == f'"{stored[name].sha256}"'
        again = await client.get(
            f"/e/{slug}/{suffix}", headers={"If-None-Match": response.headers["etag"]}
        )
        assert again.status_code == 304

    by_digest = await client.get(f"/e/{slug}/results/files/{stored['pb:0:N'].sha256}")
    assert by_digest.content == old["N"].encode()
    assert "immutable" in by_digest.headers["cache-control"]
    assert by_digest.headers["content-disposition"] == f'attachment; filename="{slug}-N.pb"'
    assert (await client.get(f"/e/{slug}/results/files/{'0' * 64}")).status_code == 404
    assert (await client.get(f"/e/{slug}/results/files/nothex")).status_code in (400, 404, 422)
    assert (await client.get(f"/e/{slug}/results.pb?pool=NOPE")).status_code == 404


async def test_publishing_again_replaces_the_files_and_a_missing_one_is_built_once(app, client):
    edition = await _published(app)
    slug = edition.slug
    before = await client.get(f"/e/{slug}/results.pb")
    async with transaction(app.state.ctx.db) as session:
        found = await session.get(Edition, edition.id)
        old_run = await results_repository.run_published(session, edition.id)
        run = await results.run_create(session=session, edition=found, actor_id=None)
        await results.run_publish(session=session, edition=found, run_id=run.id, actor_id=None)
    async with app.state.ctx.db() as session:
        left = await session.scalar(
            select(func.count()).select_from(ResultFile).where(ResultFile.run_id == old_run.id)
        )
    assert left == 0  # the withdrawn run's files are gone
    after = await client.get(f"/e/{slug}/results.pb")
    # a new seed: the same ballots in another order, under another digest
    assert after.headers["etag"] != before.headers["etag"]
    assert sorted(after.text.splitlines()) != [] and after.status_code == 200
    stale = await client.get(f"/e/{slug}/results/files/{before.headers['etag'].strip(chr(34))}")
    assert stale.status_code == 404  # a withdrawn run's file is no longer served

    # a file not stored yet (a run published before files were kept): built at its first
    # download, after the check that ballots still match, then served like the others
    async with transaction(app.state.ctx.db) as session:
        await session.execute(ResultFile.__table__.delete().where(ResultFile.run_id == run.id))
    with statements(app) as building:
        built = await client.get(f"/e/{slug}/results.pb?pool=N")
    with statements(app) as serving:
        served = await client.get(f"/e/{slug}/results.pb?pool=N")
    assert built.status_code == served.status_code == 200 and built.content == served.content
    assert reads_ballots(building) and not reads_ballots(serving)
    async with app.state.ctx.db() as session:
        run = await results_repository.run_published(session, edition.id)
        expected = await opendata.results_pabulib(
            session=session, edition=edition, run=run, pool_code="N"
        )
    assert built.text == expected[1]


async def test_the_demographics_choice_gets_its_own_file(app, client):
    edition = await _published(app, demographics=True)
    response = await client.get(f"/e/{edition.slug}/results.pb")
    assert "age_band" in response.text and response.status_code == 200
    async with app.state.ctx.db() as session:
        names = set((await session.execute(select(ResultFile.name))).scalars())
    assert files.pabulib_name("CITY", True) in names


def test_if_none_match_is_compared_as_the_standard_says():
    digest = "ab" * 32
    assert files.etag_matches(f'"{digest}"', digest)
    assert files.etag_matches(f'W/"{digest}", "x"', digest)
    assert files.etag_matches("*", digest)
    assert not files.etag_matches(digest, digest)  # an ETag is quoted
    assert not files.etag_matches(None, digest) and not files.etag_matches("", digest)


async def test_the_csv_opens_in_a_polish_spreadsheet_and_its_etag_is_of_those_bytes(app, client):
    """Excel in Polish reads a CSV without a byte order mark as Windows-1250 ("Łódź" comes
    out as "ĹĂłdĹş"): the file begins with one, built at publication or at its first
    download alike, and its digest, ETag and size are those of the bytes served."""
    edition = await _published(app, title="Tężnia solankowa w Łodzi, Łódź")
    slug = edition.slug
    async with app.state.ctx.db() as session:
        run = await results_repository.run_published(session, edition.id)
    for built_now in (False, True):
        if built_now:  # a run published before the files were stored: built at download
            async with transaction(app.state.ctx.db) as session:
                await session.execute(
                    ResultFile.__table__.delete().where(ResultFile.run_id == run.id)
                )
        response = await client.get(f"/e/{slug}/results.csv")
        content = response.content
        assert response.status_code == 200 and content.startswith(codecs.BOM_UTF8)
        assert content.count(codecs.BOM_UTF8) == 1
        text = content.decode("utf-8-sig")
        assert text.startswith("pool,number,title,") and "Tężnia solankowa w Łodzi, Łódź" in text
        assert "Łódź".encode("cp1250") not in content  # UTF-8 throughout, after the mark
        digest = hashlib.sha256(content).hexdigest()
        assert response.headers["etag"] == f'"{digest}"'
        assert int(response.headers["content-length"]) == len(content)
        assert response.headers["content-type"].startswith("text/csv")
        cached = await client.get(
            f"/e/{slug}/results.csv", headers={"If-None-Match": f'"{digest}"'}
        )
        assert cached.status_code == 304
        assert (await client.get(f"/e/{slug}/results/files/{digest}")).content == content
    async with app.state.ctx.db() as session:
        stored = await session.scalar(
            select(ResultFile).where(ResultFile.run_id == run.id, ResultFile.name == "results.csv")
        )
    assert stored.content == content and stored.sha256 == digest and stored.size == len(content)
