"""The ballot's boxes are rendered once per edition snapshot and language, and each
resident still sees only their own ticks, in their own language."""

from __future__ import annotations

import re

import pytest

from tests.factories.editions import edition_create
from tests.factories.staff import asgi_client
from tests.factories.voting import person, post_form, project_ids, reach_choices
from urna.editions import snapshot
from urna.voting.ballot_page import ticked

pytestmark = pytest.mark.flow

BOXES = "voting/_projects.html"


def test_only_the_chosen_boxes_are_ticked_when_ids_share_digits():
    html = '<input value="1" id="p-1"><input value="12" id="p-12"><input value="2" id="p-2">'
    assert ticked(html, [12, 2]) == (
        '<input value="1" id="p-1"><input value="12" id="p-12" checked>'
        '<input value="2" id="p-2" checked>'
    )
    assert ticked(html, []) == html


def _ticked_numbers(page: str, ids: dict[str, str]) -> set[str]:
    return {n for n, pid in ids.items() if re.search(rf'id="p-{pid}" checked', page)}


async def test_residents_see_their_own_ticks_in_their_language_from_boxes_rendered_once(
    app, monkeypatch
):
    ctx = app.state.ctx
    cache = snapshot.SnapshotCache(seconds=60, store=ctx.store, check_seconds=60)
    monkeypatch.setitem(ctx.caches, snapshot.CACHE_KEY, cache)  # the tests' settings keep none
    edition = await edition_create(app)
    slug = edition.slug
    renders: list[str] = []
    for lang, env in ctx.templates.envs.items():

        def counting(name, *args, _original=env.get_template, _lang=lang, **kw):
            if name == BOXES:
                renders.append(_lang)
            return _original(name, *args, **kw)

        monkeypatch.setattr(env, "get_template", counting)

    async with (
        asgi_client(app, ip="10.0.0.1") as polish,
        asgi_client(app, ip="10.0.0.2") as english,
    ):
        await english.get("/lang/en")
        picks = {polish: "C1", english: "N1"}
        for client, number in picks.items():
            page = await reach_choices(client, app, slug, person())
            ids = project_ids(page)
            assert _ticked_numbers(page, ids) == set()
            saved = await post_form(
                client, f"/e/{slug}/vote/choices", {"project": [ids[number]]}, page
            )
            assert saved.status_code == 303, saved.text[:500]
        pools = len(re.findall(r'<ul class="choices">', page))
        assert sorted(renders) == sorted(["pl"] * pools + ["en"] * pools)  # once each
        for client, number in picks.items():
            back = (await client.get(f"/e/{slug}/vote/choices")).text
            assert _ticked_numbers(back, ids) == {number}
        assert len(renders) == 2 * pools  # the pages again: no box rendered again
        polish_page = (await polish.get(f"/e/{slug}/vote/choices")).text
        english_page = (await english.get(f"/e/{slug}/vote/choices")).text
        await snapshot.generation_bump(ctx.store)  # the edition changed: boxes anew
        cache.recheck()
        assert _ticked_numbers((await polish.get(f"/e/{slug}/vote/choices")).text, ids) == {"C1"}
        assert len(renders) == 3 * pools
    assert "Opis projektu" in polish_page and "About the project" not in polish_page
    assert "About the project" in english_page and "Opis projektu" not in english_page
