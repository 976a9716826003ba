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
    env = app.state.ctx.templates.env
    get_template = env.get_template

    def counting(name, *args, **kwargs):
        if name == "editions/catalogue.html":  # the page itself (not what it extends)
            rendered.append(name)
        return get_template(name, *args, **kwargs)

    monkeypatch.setattr(env, "get_template", counting)
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
