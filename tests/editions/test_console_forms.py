"""Console forms over HTTP: a refused form comes back with its values and a message per
field (400, never 500) and stores nothing; a unique conflict is reported on its field
from a SAVEPOINT while the rest of the request goes on."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.editions.test_console import _actions, _edition, _local, edition_create_upcoming
from tests.factories.editions import unique_slug
from tests.factories.staff import csrf_of, staff_client
from urna.core.audit import AuditEvent
from urna.editions import repository

pytestmark = pytest.mark.flow


async def _counts(app, slug: str) -> tuple[int, int, int]:
    edition = await _edition(app, slug)
    async with app.state.ctx.db() as session:
        return (
            len(await repository.areas_of(session, edition.id)),
            len(await repository.pools_of(session, edition.id)),
            len(await repository.projects_of(session, edition.id)),
        )


async def _audit_count(app) -> int:
    async with app.state.ctx.db() as session:
        return (await session.execute(select(func.count()).select_from(AuditEvent))).scalar_one()


async def test_a_refused_form_shows_its_values_again_and_stores_nothing(app):
    slug = await edition_create_upcoming(app)
    before = await _counts(app, slug)
    async with await staff_client(app, "admin") as admin:
        page = await admin.get(f"/staff/editions/{slug}/pools")
        token = csrf_of(page.text)
        events = await _audit_count(app)
        response = await admin.post(
            f"/staff/editions/{slug}/pools",
            data={"code": "EXTRA", "name": "Pula\x00", "budget": "dużo", "max_choices": "①",
                  "min_votes": "9" * 40, "min_votes_percent": "２", "csrf_token": token},
        )  # fmt: skip
        assert response.status_code == 400
        text = response.text
        assert 'value="EXTRA"' in text  # what was typed comes back
        assert "Ten tekst zawiera niewidoczne znaki sterujące." in text
        assert "Podaj kwotę w złotych, np. 150 000 lub 2 499,99." in text
        assert "Podaj liczbę całkowitą, 1 lub większą." in text
        assert "Ta liczba jest za duża." in text
        assert "Podaj odsetek jako liczbę, np. 5 lub 2,5." in text

        response = await admin.post(
            f"/staff/editions/{slug}/projects",
            data={"number": "P9", "pool": "CITY", "title": "Park\u202e", "cost": "1 000",
                  "csrf_token": token},
        )  # fmt: skip
        assert response.status_code == 400 and "niewidoczne znaki sterujące" in response.text
        form = {
            "name": "Budżet",
            "voting_opens_at": "31.02.2027",
            "voting_closes_at": _local(15),
            "results_at": _local(25),
            "required_fields": ["last_name"],
            "csrf_token": token,
        }
        response = await admin.post(f"/staff/editions/{slug}", data=form)
        assert response.status_code == 400
        assert "Podaj datę i godzinę, np. 31.05.2027 23:59." in response.text
        await admin.get("/staff/lang/en")
        response = await admin.post(
            f"/staff/editions/{slug}", data={**form, "voting_opens_at": _local(5)}
        )
        assert response.status_code == 400
        assert "Residents must give at least their first and last name" in response.text
        assert await _audit_count(app) == events
    assert await _counts(app, slug) == before
    assert (await _edition(app, slug)).name == "Budżet testowy"


async def test_a_unique_conflict_is_reported_on_its_field_and_the_page_still_renders(app):
    slug = await edition_create_upcoming(app)
    before = await _counts(app, slug)
    async with await staff_client(app, "admin") as admin:
        token = csrf_of((await admin.get(f"/staff/editions/{slug}/pools")).text)
        response = await admin.post(
            f"/staff/editions/{slug}/areas",
            data={"area_code": "N", "area_name": "Znowu Północ", "csrf_token": token},
        )
        assert response.status_code == 400
        assert 'id="area_code-error">Obszar o tym kodzie już istnieje.' in response.text
        assert "Pula Południe" in response.text  # read after the SAVEPOINT's rollback
        response = await admin.post(
            f"/staff/editions/{slug}/projects",
            data={"number": "C1", "pool": "CITY", "title": "Drugi C1", "cost": "5 000",
                  "csrf_token": token},
        )  # fmt: skip
        assert response.status_code == 400
        assert "Projekt o tym numerze jest już w edycji." in response.text
        assert "Park kieszonkowy" in response.text
        new = {"slug": slug, "name": "Kopia", "municipality": "Gmina", "csrf_token": token,
               "voting_opens_at": _local(10), "voting_closes_at": _local(20),
               "results_at": _local(30), "required_fields": ["first_name", "last_name", "phone"],
               "pool_code": "CITY", "pool_name": "Pula", "pool_budget": "1 000"}  # fmt: skip
        response = await admin.post("/staff/editions", data=new)
        assert response.status_code == 400
        assert 'id="slug-error">Edycja o tym adresie już istnieje.' in response.text
        created = unique_slug("nowa")
        response = await admin.post("/staff/editions", data={**new, "slug": created})
        assert response.status_code == 303
    assert await _counts(app, slug) == before
    assert await _actions(app, slug) == []
    assert await _actions(app, created) == ["edition.create"]
