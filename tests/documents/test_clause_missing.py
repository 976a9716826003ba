"""An edition that opened without an information clause: the vote says why it cannot
begin (never "no such page"), the office can still publish the first version — nobody can
have voted without one — and from then on the clause is frozen like any other."""

from __future__ import annotations

import pytest

from tests.factories.editions import edition_create
from tests.factories.staff import asgi_client, clause_post, csrf_of, random_ip, staff_client

pytestmark = pytest.mark.flow


async def test_an_open_edition_without_a_clause_gets_its_first_one(app):
    edition = await edition_create(app, clause=None)
    slug = edition.slug
    async with asgi_client(app, ip=random_ip()) as resident:
        page = await resident.get(f"/e/{slug}/vote")
        assert page.status_code == 409
        assert "nie opublikował klauzuli informacyjnej" in page.text
        token = csrf_of((await resident.get("/my-data")).text)
        posted = await resident.post(
            f"/e/{slug}/vote", data={"acknowledge": "yes", "csrf_token": token}
        )
        assert posted.status_code == 409 and "klauzuli" in posted.text

        async with await staff_client(app, "admin") as admin:
            first = await clause_post(admin, slug, "Pierwsza wersja.")
            assert first.status_code == 303, first.text[:500]
            second = await clause_post(admin, slug, "Zmiana w trakcie.")
            assert second.status_code == 409 and "już się rozpoczęło" in second.text

        page = await resident.get(f"/e/{slug}/vote")
        assert page.status_code == 200 and "Pierwsza wersja." in page.text


async def test_the_console_offers_the_first_clause_of_an_open_edition(app):
    """Voting opened without a clause: the admin's page shows the form for its first
    version (the office needs no hand-made POST); once there is one, the form is gone."""
    edition = await edition_create(app, clause=None)
    url = f"/staff/editions/{edition.slug}/clause"
    form = f'<form method="post" action="{url}"'
    async with await staff_client(app, "admin") as admin:
        page = await admin.get(url)
        assert page.status_code == 200 and form in page.text
        assert 'name="title"' in page.text and 'name="body"' in page.text
        assert (await clause_post(admin, edition.slug, "Pierwsza wersja.")).status_code == 303
        page = await admin.get(url)
    assert page.status_code == 200 and 'id="clause-versions"' in page.text
    assert form not in page.text  # frozen like any clause once voting has opened


async def test_a_closed_edition_answers_closed_before_anything_about_its_clause(app):
    from tests.factories.editions import voting_close

    edition = await edition_create(app, clause=None)
    await voting_close(app, edition.id)
    async with asgi_client(app, ip=random_ip()) as resident:
        token = csrf_of((await resident.get("/my-data")).text)
        for response in (
            await resident.get(f"/e/{edition.slug}/vote"),
            await resident.post(
                f"/e/{edition.slug}/vote", data={"acknowledge": "yes", "csrf_token": token}
            ),
        ):
            assert response.status_code == 409 and "nie trwa" in response.text
