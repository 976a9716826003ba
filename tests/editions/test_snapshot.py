"""The edition snapshot: kept on the app (not the module) while the rules are frozen, and
carrying the street register, folded once, for the identity step."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import update

from tests.editions.test_console import _edition, _local, edition_create_upcoming
from tests.factories.editions import edition_create
from tests.factories.staff import csrf_of, staff_client
from urna.core.db import utcnow
from urna.core.errors import NotFound
from urna.editions import repository, snapshot
from urna.editions.models import Edition
from urna.editions.snapshot import (
    RegisterStreet,
    SnapshotCache,
    edition_snapshot,
    street_lookup,
)

pytestmark = pytest.mark.flow


async def test_the_street_register_is_found_by_folded_name(app, db):
    edition = await edition_create(app)
    read = await edition_snapshot(session=db, slug=edition.slug, streets=True)
    north = next(area.id for area in read.areas if area.code == "N")
    assert sorted(street.name for street in read.streets) == sorted(
        ["ul. Lipowa", "ul. Łąkowa", "ul. Słoneczna"]
    )
    index = read.street_index
    assert street_lookup(index, "UL.  LAKOWA ") == RegisterStreet("ul. Łąkowa", north)
    assert street_lookup(index, "ul. łąkowa") == street_lookup(index, "Ul. Łąkowa")
    assert street_lookup(index, "ul. Nowa") is None and street_lookup(index, "") is None
    assert read.street_index is index  # folded once per snapshot
    catalogue = await edition_snapshot(session=db, slug=edition.slug)
    assert catalogue.streets is None  # the catalogue does not read thousands of streets
    with pytest.raises(RuntimeError):
        street_lookup(catalogue.street_index, "ul. Lipowa")


async def test_a_frozen_edition_is_reused_and_an_upcoming_one_read_afresh(app, db):
    cache = SnapshotCache(seconds=60)
    opened = await edition_create(app)
    first = await edition_snapshot(session=db, slug=opened.slug, cache=cache)
    assert await edition_snapshot(session=db, slug=opened.slug, cache=cache) is first
    assert await edition_snapshot(session=db, slug=opened.slug) is not first  # no cache given
    with_streets = await edition_snapshot(session=db, slug=opened.slug, cache=cache, streets=True)
    assert with_streets.streets and with_streets.pools == first.pools
    assert await edition_snapshot(session=db, slug=opened.slug, cache=cache) is with_streets

    later = utcnow() + timedelta(days=3)
    upcoming = await edition_create(
        app,
        voting_opens_at=later.isoformat(),
        voting_closes_at=(later + timedelta(days=7)).isoformat(),
        results_at=(later + timedelta(days=14)).isoformat(),
    )
    first = await edition_snapshot(session=db, slug=upcoming.slug, cache=cache)
    assert await edition_snapshot(session=db, slug=upcoming.slug, cache=cache) is not first
    assert cache.get(upcoming.slug) is None and cache.get(opened.slug) is not None

    never = SnapshotCache(seconds=0)
    await edition_snapshot(session=db, slug=opened.slug, cache=never)
    assert never.get(opened.slug) is None
    async with app.state.ctx.db() as session:  # the register is read as rows, by name
        assert await repository.street_register_of(session, opened.id) == [
            (s.name, s.area_id) for s in await repository.streets_of(session, opened.id)
        ]


def test_the_cache_belongs_to_the_app_context(app):
    ctx = app.state.ctx
    cache = snapshot.snapshot_cache(ctx)
    assert ctx.caches[snapshot.CACHE_KEY] is cache and snapshot.snapshot_cache(ctx) is cache
    assert cache.seconds == ctx.settings.edition_cache_seconds


async def test_a_change_reaches_every_process_once_committed(app, db, monkeypatch):
    ctx = app.state.ctx
    other = SnapshotCache(seconds=60, store=ctx.store)  # another process's cache
    edition = await edition_create(app)
    first = await edition_snapshot(session=db, slug=edition.slug, cache=other)
    assert await edition_snapshot(session=db, slug=edition.slug, cache=other) is first
    later = first.edition.voting_closes_at + timedelta(days=2)
    async with ctx.db() as session:  # the closing date extended, then announced
        await session.execute(
            update(Edition).where(Edition.id == edition.id).values(voting_closes_at=later)
        )
        await session.commit()
    await snapshot.generation_bump(ctx.store)
    again = await edition_snapshot(session=db, slug=edition.slug, cache=other)
    assert again is not first and again.edition.voting_closes_at == later


async def test_the_console_announces_a_change_after_its_commit(app, monkeypatch):
    slug = await edition_create_upcoming(app)
    seen = []

    async def bump(store):  # what another process would read at the moment of the bump
        seen.append((await _edition(app, slug)).name)

    monkeypatch.setattr(snapshot, "generation_bump", bump)
    async with await staff_client(app, "admin") as admin:
        token = csrf_of((await admin.get(f"/staff/editions/{slug}")).text)
        form = {"name": "Nowa nazwa", "voting_opens_at": _local(5),
                "voting_closes_at": _local(15), "results_at": _local(25),
                "required_fields": ["first_name", "last_name", "address", "birth_date", "phone"],
                "confirmation_channel": "sms", "csrf_token": token}  # fmt: skip
        response = await admin.post(f"/staff/editions/{slug}", data=form)
    assert response.status_code == 303, response.text[:2000]
    assert seen == ["Nowa nazwa"]


async def test_without_the_store_nothing_is_reused(app, db):
    class Down:
        async def get(self, key):
            raise ConnectionRefusedError(key)

    cache = SnapshotCache(seconds=60, store=Down())
    edition = await edition_create(app)
    first = await edition_snapshot(session=db, slug=edition.slug, cache=cache)
    assert await edition_snapshot(session=db, slug=edition.slug, cache=cache) is not first


async def test_the_generation_is_read_at_most_once_per_check_period(app, db):
    ctx = app.state.ctx
    reads: list[str] = []

    class Counting:
        async def get(self, key):
            reads.append(key)
            return await ctx.store.get(key)

    cache = SnapshotCache(seconds=60, store=Counting(), check_seconds=60)
    edition = await edition_create(app)
    first = await edition_snapshot(session=db, slug=edition.slug, cache=cache)
    for _ in range(5):  # the cast path's snapshot reads: no round trip to the store
        assert await edition_snapshot(session=db, slug=edition.slug, cache=cache) is first
    assert reads == [snapshot.GENERATION_KEY]
    cache.recheck()  # this process changed an edition: the next read asks the store
    await edition_snapshot(session=db, slug=edition.slug, cache=cache)
    assert reads == [snapshot.GENERATION_KEY] * 2


async def test_requests_missing_the_same_edition_at_once_share_one_read(app, monkeypatch):
    ctx = app.state.ctx
    edition = await edition_create(app)
    reads: list[str] = []
    original = snapshot._snapshot_read

    async def counted(session, slug):
        reads.append(slug)
        await asyncio.sleep(0.05)  # a read under load: others arrive meanwhile
        return await original(session, slug)

    monkeypatch.setattr(snapshot, "_snapshot_read", counted)
    cache = SnapshotCache(seconds=60, store=ctx.store)

    async def one():
        async with ctx.db() as session:
            return await edition_snapshot(session=session, slug=edition.slug, cache=cache)

    found = await asyncio.gather(*(one() for _ in range(8)))
    assert reads == [edition.slug]  # one read served all eight
    assert all(item is found[0] for item in found)
    with pytest.raises(NotFound):  # a refusal reaches every waiter, and is not kept
        await asyncio.gather(*(_missing(ctx, cache) for _ in range(3)))
    assert cache._reading == {}


async def _missing(ctx, cache):
    async with ctx.db() as session:
        return await edition_snapshot(session=session, slug="no-such-edition", cache=cache)
