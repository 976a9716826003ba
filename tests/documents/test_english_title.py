"""An edition's information clause has an English title beside its English text: the vote's
clause step and the clause's own page show it in English, the Polish title when there is
none (Polish is the binding text)."""

from __future__ import annotations

import pytest

from tests.editions.test_console import edition_create_upcoming
from tests.factories.editions import edition_create
from tests.factories.staff import csrf_of, staff_client
from urna.documents import service as documents
from urna.editions import service as editions

pytestmark = pytest.mark.flow

CLAUSE = {"title": "Klauzula informacyjna", "body": "## Administrator", "body_en": "## Controller"}


async def test_the_clause_is_titled_in_the_readers_language(app, client):
    edition = await edition_create(
        app, clause=CLAUSE | {"title_en": "Information clause"}
    )  # an edition file's clause may carry it
    vote, page = f"/e/{edition.slug}/vote", f"/e/{edition.slug}/clause"
    polish = (await client.get(vote)).text
    assert "<h2>Klauzula informacyjna</h2>" in polish and "Information clause</h2>" not in polish
    assert "<h1>Klauzula informacyjna</h1>" in (await client.get(page)).text
    await client.get("/lang/en")
    english = (await client.get(vote)).text
    assert '<article class="document" aria-label="Information clause">' in english
    assert "<h2>Information clause</h2>" in english
    english = (await client.get(page)).text
    assert "<h1>Information clause</h1>" in english and "<title>Information clause" in english

    untitled = await edition_create(app, clause=CLAUSE)
    english = (await client.get(f"/e/{untitled.slug}/vote")).text
    assert "<h2>Klauzula informacyjna</h2>" in english  # no English title: the Polish one


async def test_the_clause_form_takes_an_english_title(app):
    slug = await edition_create_upcoming(app)
    async with await staff_client(app, "admin") as admin:
        token = csrf_of((await admin.get(f"/staff/editions/{slug}/clause")).text)
        form = {"title": "Klauzula", "title_en": "Information clause", "body": "Treść",
                "change_summary": "Tytuł po angielsku", "csrf_token": token}  # fmt: skip
        assert (await admin.post(f"/staff/editions/{slug}/clause", data=form)).status_code == 303
        page = (await admin.get(f"/staff/editions/{slug}/clause")).text
        assert 'value="Information clause"' in page  # the next version starts from it
        too_long = await admin.post(
            f"/staff/editions/{slug}/clause", data=form | {"title_en": "x" * 201}
        )
        assert too_long.status_code == 400 and 'href="#f-title_en"' in too_long.text
    async with app.state.ctx.db() as session:
        edition = await editions.edition_get(session=session, slug=slug)
        latest = await documents.document_latest(session=session, kind="clause", edition=edition)
    assert (latest.title, latest.title_en) == ("Klauzula", "Information clause")
