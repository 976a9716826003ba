"""The identity form's list of streets (thousands in a city) is rendered once per cached
edition snapshot, not at every view of the form, and goes with the snapshot."""

from __future__ import annotations

import pytest

from tests.factories.editions import edition_create
from tests.factories.voting import reach_identity
from urna.editions import snapshot

pytestmark = pytest.mark.flow

# in Polish alphabetical order (Ł after L), not the characters' codes (Ł after S)
LIST = (
    '<datalist id="streets"><option value="ul. Lipowa"><option value="ul. Łąkowa">'
    '<option value="ul. Słoneczna"></datalist>'
)


async def test_the_street_list_is_rendered_once_per_snapshot(app, client, monkeypatch):
    ctx = app.state.ctx
    cache = snapshot.SnapshotCache(seconds=60, store=ctx.store, check_seconds=60)
    monkeypatch.setitem(ctx.caches, snapshot.CACHE_KEY, cache)  # the tests' settings keep none
    rendered: list[str] = []
    get_template = ctx.templates.env.get_template

    def counting(name, *args, **kwargs):
        if name == "voting/_streets.html":
            rendered.append(name)
        return get_template(name, *args, **kwargs)

    monkeypatch.setattr(ctx.templates.env, "get_template", counting)
    edition = await edition_create(app)
    pages = [await reach_identity(client, edition.slug)]
    pages += [(await client.get(f"/e/{edition.slug}/vote/identity")).text for _ in range(3)]
    assert all(LIST in page for page in pages)
    assert len(rendered) == 1
    await snapshot.generation_bump(ctx.store)  # the edition changed: a new snapshot, a new list
    cache.recheck()
    assert LIST in (await client.get(f"/e/{edition.slug}/vote/identity")).text
    assert len(rendered) == 2
