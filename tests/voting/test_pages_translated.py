"""The pages' fixed texts are translated once, when a template is compiled for its
language (``core.templating.ConstantTranslations``), not at every page: the resident sees
the same pages, byte for byte, in Polish and in English."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from tests.factories.editions import edition_create
from tests.factories.voting import csrf_of, person, post_form, project_ids, reach_choices
from urna.core import i18n

pytestmark = pytest.mark.flow


@contextmanager
def translated_at_render(app):
    """The templates as before: every ``_()`` looked up by gettext at each render."""
    envs = app.state.ctx.templates.envs.values()
    saved = {env: env.constant_language for env in envs}
    for env in envs:
        env.constant_language = None
        env.cache.clear()
    try:
        yield
    finally:
        for env, lang in saved.items():
            env.constant_language = lang
            env.cache.clear()


class CountingCatalogue:
    def __init__(self, catalogue) -> None:
        self.catalogue = catalogue
        self.lookups = 0

    def gettext(self, message: str) -> str:
        self.lookups += 1
        return self.catalogue.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        self.lookups += 1
        return self.catalogue.ngettext(singular, plural, n)


async def _same_both_ways(app, client, url: str) -> str:
    folded = await client.get(url)
    with translated_at_render(app):
        plain = await client.get(url)
    assert folded.status_code == plain.status_code, url  # an error page too
    assert folded.text == plain.text, url
    return folded.text


async def test_the_vote_s_pages_are_the_same_in_both_languages(app, client):
    edition = await edition_create(app)
    slug = edition.slug
    pages = ["/", "/receipt", "/privacy", "/privacy/logging", "/accessibility", f"/e/{slug}",
             f"/e/{slug}/projects", f"/e/{slug}/vote"]  # fmt: skip
    await client.get(f"/e/{slug}/vote")  # a session (a form's token), its visit counted
    for lang, skip in (("en", "Skip to content"), ("pl", "Przejdź do treści")):
        await client.get(f"/lang/{lang}")
        for url in pages:
            assert skip in await _same_both_ways(app, client, url)
    page = await reach_choices(client, app, slug, person())
    await _same_both_ways(app, client, f"/e/{slug}/vote/choices")
    ids = project_ids(page)
    response = await post_form(client, f"/e/{slug}/vote/choices", {"project": [ids["C1"]]}, page)
    assert response.status_code == 303, response.text[:2000]
    review = await _same_both_ways(app, client, f"/e/{slug}/vote/review")
    cast = await client.post(f"/e/{slug}/vote/cast", data={"csrf_token": csrf_of(review)})
    assert cast.status_code == 303, cast.text[:2000]
    await client.get("/lang/en")
    receipt = await _same_both_ways(app, client, cast.headers["location"])
    assert "Skip to content" in receipt


async def test_a_page_s_fixed_texts_cost_no_lookup_once_compiled(app, client, monkeypatch):
    edition = await edition_create(app)
    counting = CountingCatalogue(i18n._catalogues["pl"])
    monkeypatch.setitem(i18n._catalogues, "pl", counting)
    url = f"/e/{edition.slug}/vote"
    await client.get(url)  # compiled for Polish: its fixed texts looked up once
    counting.lookups = 0
    page = await client.get(url)
    assert "Przejdź do treści" in page.text
    assert counting.lookups <= 3  # only the messages with parameters (version, visits)
    with translated_at_render(app):
        await client.get(url)
        counting.lookups = 0
        await client.get(url)
    assert counting.lookups >= 20  # before: the header, menu, footer and form at each page


def test_a_translation_is_marked_safe_as_gettext_marks_it(app):
    # an apostrophe (escaped if the text were not marked safe), a parameterless "%%"
    source = """<a title="{{ _("The project's public page") }}">{{ _("100%% done") }}</a>"""
    for lang, env in app.state.ctx.templates.envs.items():
        i18n.set_language(lang)
        folded = env.from_string(source).render()
        with translated_at_render(app):
            plain = env.from_string(source).render()
        assert folded == plain and "&#39;" not in folded and "100% done" in folded
