"""The catalogue shows every visitor the same page while the edition's snapshot lasts:
rendered once per address and language, then served again; only the CSRF header, the
visitor's own, differs."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager

from tests.conftest import make_settings
from tests.factories.editions import edition_create
from urna.main import create_app

pytestmark = pytest.mark.flow
HEADER = re.compile(r'hx-headers=\'\{"X-CSRF-Token": "([^"]*)"\}\'')


@pytest.fixture
async def cached_app(database_url) -> AsyncIterator:
    app = create_app(make_settings(database_url, edition_cache_seconds=60, visits_cache_seconds=60))
    async with LifespanManager(app):
        yield app


def _client(app) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50002))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_the_catalogue_is_rendered_once_and_served_to_everyone(cached_app, monkeypatch):
    app = cached_app
    edition = await edition_create(app)
    rendered: list[str] = []

    def counting(get_template):
        def get(name, *args, **kwargs):
            if name == "editions/catalogue.html":  # the page itself (not what it extends)
                rendered.append(name)
            return get_template(name, *args, **kwargs)

        return get

    for env in app.state.ctx.templates.envs.values():  # one per language
        monkeypatch.setattr(env, "get_template", counting(env.get_template))
    url = f"/e/{edition.slug}/projects"
    async with _client(app) as first, _client(app) as second:
        # a visitor with a session (a form seen before): its token in the htmx header
        await first.get(f"/e/{edition.slug}/vote")
        token = first.cookies.get("urna_sid")
        assert token
        rendered.clear()
        one = await first.get(url)
        two = await second.get(url)
        again = await first.get(url)
        assert one.status_code == two.status_code == again.status_code == 200
        assert rendered == ["editions/catalogue.html"]  # once, for three views
        mine = HEADER.search(one.text).group(1)
        assert mine and HEADER.search(two.text).group(1) == ""  # no session: no token
        assert HEADER.sub("", one.text) == HEADER.sub("", two.text)
        filtered = await second.get(url, params={"pool": "N"})
        assert filtered.text != two.text and len(rendered) == 2  # another address
        assert (await second.get("/lang/en")).status_code == 303
        await second.get(url)
        assert len(rendered) == 3  # another language: rendered on its own


async def test_a_fresh_catalogue_is_answered_before_the_router(cached_app, monkeypatch):
    """Once rendered, the page is answered by the page cache (no view, no snapshot read,
    no database) — and still logged, kept in the visitor's session, with the security
    headers, the visitor's own token and its route in the metrics. A change to the
    edition, the generation moving on or the phase changing sends the request the normal
    way again."""
    from sqlalchemy import select

    from urna.core.metrics import REQUESTS
    from urna.editions import service
    from urna.editions.snapshot import snapshot_cache
    from urna.requestlog.models import RequestLog

    app = cached_app
    edition = await edition_create(app)
    url = f"/e/{edition.slug}/projects"
    reads: list[str] = []
    snapshot_read = service.edition_snapshot

    async def counted(**kwargs):
        reads.append(kwargs["slug"])
        return await snapshot_read(**kwargs)

    monkeypatch.setattr(service, "edition_snapshot", counted)
    route = ("GET", "/e/{slug}/projects", "200")
    async with _client(app) as visitor:
        await visitor.get(f"/e/{edition.slug}/vote")  # a session with a form token
        first = await visitor.get(url)
        assert reads == [edition.slug]
        counted_before = REQUESTS.labels(*route)._value.get()
        answers = [await visitor.get(url) for _ in range(3)]
        assert reads == [edition.slug]  # the view did not run again
        assert REQUESTS.labels(*route)._value.get() == counted_before + 3
        token = HEADER.search(first.text).group(1)
        for answer in answers:
            assert answer.status_code == 200 and answer.text == first.text
            assert HEADER.search(answer.text).group(1) == token  # the visitor's own
            assert answer.headers["content-security-policy"].startswith("default-src")
            assert answer.headers["cache-control"] == "no-store"
            assert answer.headers["content-type"] == "text/html; charset=utf-8"
        ids = [answer.headers["x-request-id"] for answer in answers]
        await app.state.request_log.flush()
        async with app.state.ctx.db() as session:
            rows = (
                await session.execute(select(RequestLog).where(RequestLog.request_id.in_(ids)))
            ).scalars()
            rows = list(rows)
        assert len(rows) == 3 and {row.status for row in rows} == {200}
        assert {row.url for row in rows} == {url}
        assert len({row.session_hash for row in rows}) == 1 and rows[0].session_hash

        # another process changed an edition: once this one reads the generation again
        await app.state.ctx.store.incr("editions:generation")
        snapshot_cache(app.state.ctx).recheck()  # the check interval has passed
        await visitor.get(url)
        assert reads == [edition.slug, edition.slug]  # read afresh, kept again
        await visitor.get(url)
        assert len(reads) == 2

        # the phase changes (voting closes) while the snapshot lasts: the normal way
        monkeypatch.setattr(service, "edition_phase", lambda edition, now=None: "closed")
        await visitor.get(url)
        assert len(reads) == 3
        # an htmx fragment and another query are other pages
        await visitor.get(url, headers={"HX-Request": "true"})
        await visitor.get(url, params={"q": "x"})
        assert len(reads) == 5
