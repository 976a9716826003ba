"""A document's Markdown is rendered once per text (a version never changes), not at
every view of the clause or the policy."""

from __future__ import annotations

import pytest

from tests.factories.editions import edition_create
from urna.documents import service as documents

pytestmark = pytest.mark.flow


async def test_the_clause_is_rendered_once_for_many_views(app, client, monkeypatch):
    rendered: list[str] = []
    markdown = documents._markdown

    class Counting:
        def render(self, text: str) -> str:
            rendered.append(text)
            return markdown.render(text)

    monkeypatch.setattr(documents, "_markdown", Counting())
    documents.document_html.cache_clear()
    edition = await edition_create(app)
    pages = [(await client.get(f"/e/{edition.slug}/vote")).text for _ in range(4)]
    assert all("<p>" in page for page in pages)
    assert len(rendered) == 1  # the first view rendered it; three views reused it
    assert len(set(pages)) <= 2  # the same text (a new session's first page aside)
    before = len(rendered)
    assert documents.document_html("# Nowa wersja") == "<h1>Nowa wersja</h1>\n"
    assert len(rendered) == before + 1  # another version: rendered on its own
