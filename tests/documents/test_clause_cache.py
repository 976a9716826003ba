"""The clause the vote shows is read once per cached edition snapshot, not at every view
and acknowledgement; a change reaches residents with the edition generation: in this
process at once, in another within its generation check."""

from __future__ import annotations

import pytest

from tests.editions.test_console import edition_create_upcoming
from tests.factories.editions import edition_create
from tests.factories.staff import clause_post, csrf_of, staff_client
from urna.documents import repository as documents_repository
from urna.documents import service as documents
from urna.editions import snapshot

pytestmark = pytest.mark.flow


def _clause_reads(monkeypatch) -> list[str]:
    reads: list[str] = []
    latest = documents_repository.document_latest

    async def counted(session, kind, edition_id):
        reads.append(kind)
        return await latest(session, kind, edition_id)

    monkeypatch.setattr(documents_repository, "document_latest", counted)
    return reads


async def _clause_version(app, edition, body: str) -> None:
    """A new version written straight to the database, as a staff change commits it."""
    async with app.state.ctx.db() as session:
        await documents.document_publish(
            session=session,
            kind="clause",
            edition=edition,
            title="Klauzula",
            body=body,
            creating_edition=True,  # the freeze is the console's rule, not this test's
        )
        await session.commit()


def _cache(app, monkeypatch, *, check_seconds: float) -> snapshot.SnapshotCache:
    """The app's snapshot cache for this test: the tests' settings keep nothing."""
    ctx = app.state.ctx
    cache = snapshot.SnapshotCache(seconds=60, store=ctx.store, check_seconds=check_seconds)
    monkeypatch.setitem(ctx.caches, snapshot.CACHE_KEY, cache)
    return cache


async def test_the_clause_is_read_once_for_many_views(app, client, monkeypatch):
    _cache(app, monkeypatch, check_seconds=60)
    reads = _clause_reads(monkeypatch)
    edition = await edition_create(app)
    url = f"/e/{edition.slug}/vote"
    for _ in range(3):
        page = await client.get(url)
        assert page.status_code == 200 and "Burmistrz Testowa" in page.text
    form = {"acknowledge": "yes", "csrf_token": csrf_of(page.text)}
    response = await client.post(url, data=form)
    assert response.status_code == 303, response.text[:2000]
    assert reads == ["clause"]  # three pages and the acknowledgement, one query
    refused = await client.post(url, data={"csrf_token": csrf_of(page.text)})
    assert refused.status_code == 400 and "Burmistrz Testowa" in refused.text
    assert reads == ["clause"]


async def test_a_new_clause_is_shown_at_once_in_this_process(app, client, monkeypatch):
    cache = _cache(app, monkeypatch, check_seconds=60)
    edition = await edition_create(app)
    url = f"/e/{edition.slug}/vote"
    assert "Burmistrz Testowa" in (await client.get(url)).text
    await _clause_version(app, edition, "Nowy administrator: Wójt Zmieniona.")
    # what the console does after its commit (``EditionsChanged``)
    await snapshot.generation_bump(app.state.ctx.store)
    cache.recheck()
    page = (await client.get(url)).text
    assert "Wójt Zmieniona" in page and "Burmistrz Testowa" not in page


async def test_another_process_shows_it_after_its_generation_check(app, client, monkeypatch):
    cache = _cache(app, monkeypatch, check_seconds=60)  # this app plays the other process
    edition = await edition_create(app)
    url = f"/e/{edition.slug}/vote"
    assert "Burmistrz Testowa" in (await client.get(url)).text
    await _clause_version(app, edition, "Nowy administrator: Wójt Zmieniona.")
    await snapshot.generation_bump(app.state.ctx.store)  # announced by another process
    assert "Burmistrz Testowa" in (await client.get(url)).text  # within the check period
    cache.recheck()  # the period is over: the generation is read again
    page = (await client.get(url)).text
    assert "Wójt Zmieniona" in page and "Burmistrz Testowa" not in page


async def test_the_console_announces_a_new_clause_after_its_commit(app, monkeypatch):
    slug = await edition_create_upcoming(app)
    seen: list[str] = []

    async def bump(store):  # what another process would read at the moment of the bump
        async with app.state.ctx.db() as session:
            edition = await snapshot.repository.edition_by_slug(session, slug)
            clause = await documents.document_current(
                session=session, kind="clause", edition=edition
            )
            seen.append(clause.body)

    monkeypatch.setattr(snapshot, "generation_bump", bump)
    async with await staff_client(app, "admin") as admin:
        response = await clause_post(admin, slug, "Wersja druga.")
    assert response.status_code == 303, response.text[:2000]
    assert seen == ["Wersja druga."]
