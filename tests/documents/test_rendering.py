"""A document's Markdown is rendered once per text (a version never changes), not at
every view of the clause or the policy."""

from __future__ import annotations

import pytest

from tests.factories.editions import edition_create
from urna.documents import service as documents

pytestmark = pytest.mark.flow


async def test_the_clause_is_rendered_once_for_many_views(app, client, monkeypatch):
    rendered: list[str] = []
    renderers = dict(documents._RENDERERS)

    class Counting:
        def __init__(self, top: int) -> None:
            self.top = top

        def render(self, text: str) -> str:
            rendered.append(text)
            return renderers[self.top].render(text)

    monkeypatch.setattr(documents, "_RENDERERS", {top: Counting(top) for top in renderers})
    documents.document_html.cache_clear()
    edition = await edition_create(app)
    pages = [(await client.get(f"/e/{edition.slug}/vote")).text for _ in range(4)]
    assert all("<p>" in page for page in pages)
    assert len(rendered) == 1  # the first view rendered it; three views reused it
    assert len(set(pages)) <= 2  # the same text (a new session's first page aside)
    before = len(rendered)
    assert documents.document_html("# Nowa wersja") == "<h2>Nowa wersja</h2>\n"
    assert len(rendered) == before + 1  # another version: rendered on its own
    documents.document_html.cache_clear()


def test_a_documents_headings_sit_below_its_page_title_and_its_tables_render():
    """A clause's "#" under the vote page's h2 is an h3 (under a document page's h1, an
    h2): one outline for screen readers. Tables (its data, purposes, periods) render."""
    text = "# Cele\n\n## Okres\n\n| Dane | Cel |\n|---|---|\n| PESEL | jeden głos |\n"
    under_title = documents.document_html(text)
    assert "<h2>Cele</h2>" in under_title and "<h3>Okres</h3>" in under_title
    under_section = documents.document_html(text, 3)
    assert "<h3>Cele</h3>" in under_section and "<h4>Okres</h4>" in under_section
    assert "<td>PESEL</td>" in under_title and "<h1>" not in under_title + under_section
    assert "<script>" not in documents.document_html("<script>alert(1)</script>")
