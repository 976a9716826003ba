"""An edition as the public pages and the vote read it: its pools, areas, projects and,
for the identity step, its street register; read once, detached from the database
session, and kept on the app (``ctx.caches``) while its rules are frozen.

    async def page(request: Request, slug: str, db: DbSession, snapshots: Snapshots):
        snapshot = await edition_snapshot(session=db, slug=slug, cache=snapshots)
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Annotated, NamedTuple

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.context import Ctx, get_ctx
from urna.core.db import transaction
from urna.core.errors import NotFound
from urna.core.store import STORE_ERRORS, Store
from urna.core.text import text_fold
from urna.editions import repository
from urna.editions.models import Area, Edition, Pool, Project
from urna.editions.phases import edition_phase
from urna.editions.street_ranges import HouseRange, range_area


class RegisterStreet(NamedTuple):
    """A street of the municipal register, as the vote needs it: its area, or (split
    between areas) its ranges of house numbers."""

    name: str
    area_id: int | None
    ranges: tuple[HouseRange, ...] = ()

    def area_of(self, number: int) -> int | None:
        """The area of house ``number`` (its building's first number): None when the street
        is split and no range holds it."""
        return range_area(self.ranges, number) if self.ranges else self.area_id


@dataclass(frozen=True)
class EditionSnapshot:
    """An edition with its pools, areas and projects (and its streets when asked for),
    read-only, so that one process can serve it to many requests."""

    edition: Edition
    pools: tuple[Pool, ...]
    areas: tuple[Area, ...]
    projects: tuple[Project, ...]
    # The register (by name), read only for ``edition_snapshot(streets=True)``: thousands
    # of rows the catalogue does not need.
    streets: tuple[RegisterStreet, ...] | None = None
    # Pages that show this snapshot alike to everyone (``Templates.render(shared=...)``):
    # they go when the snapshot does.
    pages: dict = field(default_factory=dict, compare=False, repr=False)
    # The edition's documents as the vote shows them (its clause), read once per snapshot
    # (``documents.service.clause_current``): they go when the snapshot does.
    documents: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def categories(self) -> list[str]:
        return sorted({p.category for p in self.projects if p.category})

    @cached_property
    def projects_by_pool(self) -> dict[int, tuple[Project, ...]]:
        """Each pool's projects in the snapshot's order, grouped once per snapshot: every
        step of the vote shows or checks them by pool."""
        grouped: dict[int, list[Project]] = {pool.id: [] for pool in self.pools}
        for project in self.projects:
            grouped.setdefault(project.pool_id, []).append(project)
        return {pool_id: tuple(projects) for pool_id, projects in grouped.items()}

    @cached_property
    def search_texts(self) -> dict[int, str]:
        """Each project's number, title, description and place, folded once per snapshot
        (``text_fold``): "teznia" finds "tężnia", as a phone's keyboard types it."""
        return {
            project.id: text_fold(
                " ".join((project.number, project.title, project.description, project.location))
            )
            for project in self.projects
        }

    @cached_property
    def street_index(self) -> dict[str, RegisterStreet]:
        """The register by folded name (``text_fold``), built on first use: once per
        snapshot, not once per identity form. A street is found without the kind its
        register name begins with too ("Lipowa" for "ul. Lipowa": a phone without the
        list's suggestions), unless that leaves two streets ("ul." and "pl. Wolności")."""
        if self.streets is None:
            raise RuntimeError("the street register is read with edition_snapshot(streets=True)")
        return street_index_of(self.streets)


# The kind of street a register names first ("ul. Lipowa", "al. Róż", "plac Wolności"),
# folded, and how it is abbreviated: "ulica Lipowa", "UL LIPOWA" and "ul. Lipowa" are one.
_KINDS = {"ul": "ul", "ulica": "ul", "al": "al", "aleja": "al", "aleje": "al", "pl": "pl",
          "plac": "pl", "os": "os", "osiedle": "os", "skwer": "skwer", "rondo": "rondo",
          "bulwar": "bulwar", "wybrzeze": "wybrzeze"}  # fmt: skip
# The kind ends at a space or at its dot: "ul.Lipowa", as many write it, is "ul. Lipowa".
_STREET_KIND = re.compile(rf"^({'|'.join(_KINDS)})(?:\.\s*|\s+)")


def _street_forms(name: str) -> tuple[str, str]:
    """``name`` folded with its kind abbreviated, and without its kind."""
    folded = text_fold(name)
    kind = _STREET_KIND.match(folded)
    if kind is None:
        return folded, folded
    rest = folded[kind.end() :]
    return f"{_KINDS[kind.group(1)]} {rest}", rest


def street_index_of(streets: Iterable[RegisterStreet]) -> dict[str, RegisterStreet]:
    """The register by folded name with its kind abbreviated, and by name alone where
    that names one street (``EditionSnapshot.street_index``)."""
    index: dict[str, RegisterStreet] = {}
    bare: dict[str, list[RegisterStreet]] = {}
    for street in streets:
        full, without_kind = _street_forms(street.name)
        index[full] = street
        bare.setdefault(without_kind, []).append(street)
    for name, named in bare.items():
        if len(named) == 1 and name not in index:
            index[name] = named[0]
    return index


def street_lookup(index: Mapping[str, RegisterStreet], name: str) -> RegisterStreet | None:
    """The register's street a resident means by ``name`` in a ``street_index`` (case,
    spaces, diacritics and how the street's kind is written aside), or None."""
    full, without_kind = _street_forms(name)
    return index.get(full) or index.get(without_kind)


GENERATION_KEY = "editions:generation"


class SnapshotCache:
    """Snapshots of editions whose rules are frozen, reused for ``seconds`` (0 = never)
    and only while the store's edition generation (``GENERATION_KEY``) stays the same.

    Once voting opens only its dates and a few rules may change, so the cast and the
    catalogue then cost no query for it, only a read of the generation: every change to
    an edition bumps it once committed (``editions_changed``), and each process drops its
    snapshots when it sees a new one, so a change reaches residents at once. An upcoming
    edition is always read afresh; without the store (down) nothing is reused.

    The generation itself is read at most once per ``check_seconds`` (0: at every
    snapshot read): under load that spares the store one round trip per request, and a
    change made in another process reaches this one within that time (in this process,
    at once: ``recheck``)."""

    def __init__(
        self, *, seconds: float, store: Store | None = None, check_seconds: float = 0
    ) -> None:
        self.seconds = seconds
        self.store = store
        self.check_seconds = check_seconds
        self.generation: bytes | None = None
        self._checked_until = 0.0
        self._items: dict[str, tuple[float, EditionSnapshot]] = {}
        self._reading: dict[str, asyncio.Future[EditionSnapshot]] = {}

    async def read_once(
        self, slug: str, read: Callable[[], Awaitable[EditionSnapshot]]
    ) -> EditionSnapshot:
        """``read()``, shared by the requests that miss the same edition at the same time:
        when a snapshot expires under load, one request reads it, not every one in flight."""
        pending = self._reading.get(slug)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[EditionSnapshot] = asyncio.get_running_loop().create_future()
        self._reading[slug] = future
        try:
            snapshot = await read()
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: no warning when nobody else was waiting
            raise
        else:
            future.set_result(snapshot)
            return snapshot
        finally:
            del self._reading[slug]

    def recheck(self) -> None:
        """Read the generation again at the next snapshot read (this process changed it)."""
        self._checked_until = 0.0

    async def refresh(self) -> bytes | None:
        """Read the store's generation; a new one empties the cache. Returns the
        generation snapshots read now belong to (None: do not keep them)."""
        if self.store is None:
            return b""
        now = time.monotonic()
        if self.generation is not None and now < self._checked_until:
            return self.generation
        try:
            generation = await self.store.get(GENERATION_KEY) or b"0"
        except STORE_ERRORS:
            self._items.clear()
            self._checked_until = 0.0
            return None
        if generation != self.generation:
            self._items.clear()
            self.generation = generation
        self._checked_until = now + self.check_seconds
        return generation

    def get(self, slug: str) -> EditionSnapshot | None:
        found = self._items.get(slug)
        return found[1] if found is not None and found[0] > time.monotonic() else None

    def current(self, snapshot: EditionSnapshot) -> bool:
        """``snapshot`` is the one this cache serves now and the store's generation was
        read within ``check_seconds``: what was built from it may be served without a
        store read (``core.pagecache``). Otherwise the next snapshot read checks first."""
        now = time.monotonic()
        found = self._items.get(snapshot.edition.slug)
        if found is None or found[1] is not snapshot or found[0] <= now:
            return False
        return self.store is None or now < self._checked_until

    def put(self, snapshot: EditionSnapshot, *, generation: bytes | None = b"") -> None:
        """Keep ``snapshot``, read under ``generation``, unless the cache has moved on."""
        if generation is None or (self.store is not None and generation != self.generation):
            return
        if self.seconds > 0 and edition_phase(snapshot.edition) != "upcoming":
            self._items[snapshot.edition.slug] = (time.monotonic() + self.seconds, snapshot)


CACHE_KEY = "editions.snapshots"


def snapshot_cache(ctx: Ctx) -> SnapshotCache:
    """The app's snapshot cache (made on first use, from ``edition_cache_seconds``)."""
    cache = ctx.caches.get(CACHE_KEY)
    if cache is None:
        cache = ctx.caches[CACHE_KEY] = SnapshotCache(
            seconds=ctx.settings.edition_cache_seconds,
            store=ctx.store,
            check_seconds=ctx.settings.edition_generation_seconds,
        )
    return cache


async def _snapshots(request: Request) -> SnapshotCache:
    # async: FastAPI runs a plain ``def`` dependency in a worker thread, a hop per request
    return snapshot_cache(get_ctx(request))


Snapshots = Annotated[SnapshotCache, Depends(_snapshots)]


async def edition_snapshot_cached(
    request: Request, session: AsyncSession | None, slug: str, *, streets: bool = False
) -> EditionSnapshot:
    """``edition_snapshot`` from the app's cache: no query once voting has opened.

    Without ``session`` (a view that reads the database only when the cache misses: most
    of the vote's steps), a miss reads in a unit of work of its own, and a hit costs no
    session at all."""
    ctx = get_ctx(request)
    cache = snapshot_cache(ctx)
    if session is not None:
        return await edition_snapshot(session=session, slug=slug, cache=cache, streets=streets)
    if await cache.refresh() is not None:
        found = cache.get(slug)
        if found is not None and (not streets or found.streets is not None):
            return found
    async with transaction(ctx.db) as own:
        return await edition_snapshot(session=own, slug=slug, cache=cache, streets=streets)


async def generation_bump(store: Store) -> None:
    """Tell every process that an edition changed (after the change is committed)."""
    await store.incr(GENERATION_KEY)


async def editions_changed(request: Request) -> AsyncIterator[None]:
    """A dependency of the routes that change editions: once the request's unit of work
    has committed (it is entered before ``DbSession``, so it leaves after it), a
    state-changing request bumps the generation. Refused forms bump it too: harmless."""
    yield
    if request.method not in ("GET", "HEAD"):
        ctx = get_ctx(request)
        await generation_bump(ctx.store)
        snapshot_cache(ctx).recheck()


EditionsChanged = Depends(editions_changed, scope="function")


async def edition_snapshot(
    *,
    session: AsyncSession,
    slug: str,
    cache: SnapshotCache | None = None,
    streets: bool = False,
) -> EditionSnapshot:
    """The edition named by ``slug`` with everything its public pages and the vote read,
    and its street register with ``streets``; from ``cache`` when it holds it (without a
    cache: always read afresh)."""
    generation = await cache.refresh() if cache is not None else None
    snapshot = cache.get(slug) if cache is not None else None
    fresh = snapshot is None
    if snapshot is None and cache is not None:
        snapshot = await cache.read_once(slug, lambda: _snapshot_read(session, slug))
    elif snapshot is None:
        snapshot = await _snapshot_read(session, slug)
    if streets and snapshot.streets is None:
        rows = await repository.street_register_of(session, snapshot.edition.id)
        ranges = await repository.street_ranges_of(session, snapshot.edition.id)
        streets = tuple(RegisterStreet(name, area, ranges.get(name, ())) for name, area in rows)
        snapshot = replace(snapshot, streets=streets)
        fresh = True
    if fresh and cache is not None:
        cache.put(snapshot, generation=generation)
    return snapshot


async def _snapshot_read(session: AsyncSession, slug: str) -> EditionSnapshot:
    edition = await repository.edition_by_slug(session, slug)
    if edition is None:
        raise NotFound()
    snapshot = EditionSnapshot(
        edition=edition,
        pools=tuple(await repository.pools_of(session, edition.id)),
        areas=tuple(await repository.areas_of(session, edition.id)),
        projects=tuple(await repository.projects_by_pool(session, edition.id)),
    )
    for item in (edition, *snapshot.pools, *snapshot.areas, *snapshot.projects):
        session.expunge(item)  # a later rollback in this session must not expire them
    return snapshot


@dataclass
class Catalogue:
    pools: Sequence[Pool]
    areas: Sequence[Area]
    categories: list[str]
    projects: Sequence[Project]


def catalogue_search(
    *,
    snapshot: EditionSnapshot,
    pool_code: str | None = None,
    area_code: str | None = None,
    category: str | None = None,
    text: str | None = None,
) -> Catalogue:
    """Filter the projects of an edition (a few hundred at most: done in memory)."""
    pool_id = next((p.id for p in snapshot.pools if p.code == pool_code), -1) if pool_code else None
    area_id = next((a.id for a in snapshot.areas if a.code == area_code), -1) if area_code else None
    words = text_fold((text or "")[:100]).split()  # each word somewhere, in any order
    texts = snapshot.search_texts if words else {}
    projects = [
        project
        for project in snapshot.projects
        if (pool_id is None or project.pool_id == pool_id)
        and (area_id is None or project.area_id == area_id)
        and (not category or project.category == category)
        and all(word in texts[project.id] for word in words)
    ]
    return Catalogue(
        pools=snapshot.pools,
        areas=snapshot.areas,
        categories=snapshot.categories,
        projects=projects,
    )


def project_get(*, snapshot: EditionSnapshot, number: str) -> Project:
    project = next((p for p in snapshot.projects if p.number == number), None)
    if project is None:
        raise NotFound()
    return project
