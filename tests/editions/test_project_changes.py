"""A project is changed or deleted from its console page until voting opens: the same
fields and checks as adding one, audited, announced to the snapshot caches, shown in the
public catalogue at once; afterwards refused (409) and offered no more."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.editions.test_console import FROZEN_PL, _actions, _edition, edition_create_upcoming
from tests.editions.test_experience import photo
from tests.factories.editions import edition_create
from tests.factories.staff import csrf_of, staff_client
from tests.results.factories import ballots_add
from urna.core.audit import AuditEvent
from urna.core.errors import FormInvalid
from urna.core.i18n import LOCAL_ZONE, format_money
from urna.editions import projects, repository
from urna.editions.models import ProjectImage
from urna.editions.projects import ProjectInUse
from urna.editions.schemas import ProjectIn
from urna.editions.snapshot import GENERATION_KEY

pytestmark = pytest.mark.flow

FORM = {"number": "N1", "pool": "N", "title": "Ławki na Lipowej", "cost": "8 000", "area": "N"}


async def _project(app, slug: str, number: str):
    edition = await _edition(app, slug)
    async with app.state.ctx.db() as session:
        return await repository.project_by_number(session, edition.id, number)


async def _generation(app) -> int:
    return int(await app.state.ctx.store.get(GENERATION_KEY) or 0)


async def test_a_project_is_changed_from_its_page_and_the_catalogue_shows_it(app, client):
    slug = await edition_create_upcoming(app)
    url = f"/staff/editions/{slug}/projects/N1"
    async with await staff_client(app, "admin") as admin:
        page = (await admin.get(url)).text
        assert 'value="Ławki na Lipowej"' in page and 'value="8\u00a0000\u00a0zł"' in page
        assert f'action="/staff/editions/{slug}/projects/N1"' in page
        token = csrf_of(page)

        wrong = await admin.post(
            url, data=FORM | {"title": "", "cost": "0", "pool": "XYZ", "csrf_token": token}
        )
        assert wrong.status_code == 400
        assert "To pole jest wymagane." in wrong.text
        assert "Projekt musi kosztować więcej niż 0 zł." in wrong.text
        assert 'href="#f-cost"' in wrong.text and 'value="0"' in wrong.text
        unknown = await admin.post(url, data=FORM | {"pool": "XYZ", "csrf_token": token})
        assert unknown.status_code == 400 and "Nieznany kod puli." in unknown.text
        taken = await admin.post(url, data=FORM | {"number": "N2", "csrf_token": token})
        assert taken.status_code == 400
        assert "Projekt o tym numerze jest już w edycji." in taken.text
        assert "Ławki na Lipowej" in taken.text  # the page, read after the SAVEPOINT's rollback
        assert await _actions(app, slug) == []

        before = await _generation(app)
        changed = await admin.post(
            url,
            data={"number": "N1a", "pool": "CITY", "title": "Nowe ławki", "cost": "9 500,50",
                  "description": "Sześć ławek.", "area": "S", "category": "zieleń",
                  "location": "ul. Lipowa 12", "latitude": "53,4", "longitude": "18,4",
                  "csrf_token": token},
        )  # fmt: skip
        assert changed.status_code == 303
        assert changed.headers["location"] == f"/staff/editions/{slug}/projects/N1a?saved=1"
        assert await _generation(app) > before  # every process's snapshot cache hears of it
        assert (await admin.get(url)).status_code == 404
        page = (await admin.get(changed.headers["location"])).text
        assert "Zapisano." in page and 'value="9\u00a0500,50\u00a0zł"' in page

    project = await _project(app, slug, "N1a")
    async with app.state.ctx.db() as session:
        edition = await _edition(app, slug)
        pools = {p.id: p.code for p in await repository.pools_of(session, edition.id)}
        areas = {a.id: a.code for a in await repository.areas_of(session, edition.id)}
    assert (project.title, project.cost, project.description) == (
        "Nowe ławki",
        950_050,
        "Sześć ławek.",
    )
    assert (pools[project.pool_id], areas[project.area_id]) == ("CITY", "S")
    assert (project.category, project.location) == ("zieleń", "ul. Lipowa 12")
    catalogue = (await client.get(f"/e/{slug}/projects")).text
    assert "Nowe ławki" in catalogue and "Ławki na Lipowej" not in catalogue
    assert (await client.get(f"/e/{slug}/projects/N1a")).status_code == 200
    assert (await client.get(f"/e/{slug}/projects/N1")).status_code == 404
    assert await _actions(app, slug) == ["edition.project_update"]
    async with app.state.ctx.db() as session:
        event = await session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "edition.project_update",
                AuditEvent.target == f"edition:{slug}",
            )
        )
    assert event.details == {
        "number": "N1a",
        "previous_number": "N1",
        "fields": ["area", "category", "cost", "description", "latitude", "location",
                   "longitude", "number", "pool", "title"],
    }  # fmt: skip


@pytest.mark.parametrize("lang", ["pl", "en"])
async def test_the_cost_a_project_page_shows_is_read_back_as_the_same_amount(app, lang):
    """The form shows the cost as the console's tables write it ("12 345,67 zł", "PLN
    12,345"): saved unchanged, in either language, the project costs what it did."""
    slug = await edition_create_upcoming(app)
    url = f"/staff/editions/{slug}/projects/N1"
    async with await staff_client(app, "admin") as admin:
        await admin.get(f"/staff/lang/{lang}")
        for grosze in (1_234_567, 12_345_00, 999_999_99, 5):
            token = csrf_of((await admin.get(url)).text)
            posted = FORM | {"cost": f"{grosze // 100}.{grosze % 100:02d}", "csrf_token": token}
            assert (await admin.post(url, data=posted)).status_code == 303
            page = (await admin.get(url)).text
            shown = re.search(r'name="cost" type="text" value="([^"]*)"', page)[1]
            assert shown == format_money(grosze, lang)
            assert (await admin.post(url, data=posted | {"cost": shown})).status_code == 303
            assert (await _project(app, slug, "N1")).cost == grosze, shown


async def test_a_project_is_deleted_with_its_pictures_once_confirmed(app, client):
    slug = await edition_create_upcoming(app)
    url = f"/staff/editions/{slug}/projects/N1"
    async with await staff_client(app, "admin") as admin:
        token = csrf_of((await admin.get(url)).text)
        added = await admin.post(
            url + "/images",
            data={"csrf_token": token, "alt_text": "Ławki"},
            files={"image": ("lawki.jpg", photo((400, 300)), "image/jpeg")},
        )
        assert added.status_code == 303
        page = (await admin.get(url)).text
        assert f'action="/staff/editions/{slug}/projects/N1/delete"' in page
        unconfirmed = await admin.post(url + "/delete", data={"csrf_token": token})
        assert unconfirmed.status_code == 400
        assert (
            "Nie usunięto projektu: zaznacz pole, aby potwierdzić jego usunięcie."
            in unconfirmed.text
        )
        project_id = (await _project(app, slug, "N1")).id

        before = await _generation(app)
        deleted = await admin.post(url + "/delete", data={"confirm": "yes", "csrf_token": token})
        assert deleted.status_code == 303
        assert deleted.headers["location"] == f"/staff/editions/{slug}/projects?deleted=N1"
        assert await _generation(app) > before
        listing = (await admin.get(deleted.headers["location"])).text
        assert "Projekt N1 został usunięty." in listing and "Ławki na Lipowej" not in listing
        gone = await admin.get(url)  # the console's way back, not the public home page
        assert gone.status_code == 404 and 'href="/staff"' in gone.text
        # the same form sent twice (a double click, the back button): the same answer
        again = await admin.post(url + "/delete", data={"confirm": "yes", "csrf_token": token})
        assert again.status_code == 303 and again.headers["location"] == deleted.headers["location"]
    assert await _project(app, slug, "N1") is None
    async with app.state.ctx.db() as session:
        images = select(func.count()).where(ProjectImage.project_id == project_id)
        assert await session.scalar(images) == 0
    assert "Ławki na Lipowej" not in (await client.get(f"/e/{slug}/projects")).text
    assert await _actions(app, slug) == ["edition.project_image_add", "edition.project_delete"]


async def test_once_voting_opens_a_project_is_neither_changed_nor_deleted(app):
    edition = await edition_create(app)  # open since yesterday
    url = f"/staff/editions/{edition.slug}/projects/N1"
    async with await staff_client(app, "admin") as admin:
        page = (await admin.get(url)).text
        assert "Głosowanie się rozpoczęło, więc tego projektu nie można już zmienić" in page
        assert "Zapisz projekt" not in page and "Usuń projekt" not in page
        assert 'name="confirm"' not in page
        token = csrf_of(page)
        for target, data in (
            (url, FORM | {"title": "Inne"}),
            (url + "/delete", {"confirm": "yes"}),
        ):
            refused = await admin.post(target, data=data | {"csrf_token": token})
            assert refused.status_code == 409 and FROZEN_PL in refused.text
        invalid = await admin.post(url, data={"title": "", "csrf_token": token})
        assert invalid.status_code == 409  # frozen is what is said, not the fields
        await admin.get("/staff/lang/en")
        refused = await admin.post(url + "/delete", data={"confirm": "yes", "csrf_token": token})
        assert refused.status_code == 409
        assert "Voting in this edition has opened, so its rules can no longer be changed." in (
            refused.text
        )
    assert (await _project(app, edition.slug, "N1")).title == "Ławki na Lipowej"
    assert await _actions(app, edition.slug) == []


async def test_a_project_ballots_already_name_is_refused_as_a_conflict(app):
    """Voting opened while the change was on its way: a ballot names the project, and the
    database's refusal is a 409 that says so, never a server error."""
    edition = await edition_create(app)
    await ballots_add(app, edition, [["N1"]])
    async with app.state.ctx.db() as session:
        project = await repository.project_by_number(session, edition.id, "N1")
        pool_id = project.pool_id
        moved = ProjectIn(number="N1", pool="CITY", title="Ławki", cost=8_000_00)
        earlier = edition.voting_opens_at.replace(year=2000)  # as if checked before opening
        with pytest.raises(ProjectInUse) as refused:
            await projects.project_update(
                session=session, edition=edition, project=project, data=moved,
                actor_id=None, now=earlier,
            )  # fmt: skip
        assert refused.value.status_code == 409
        project = await repository.project_by_number(session, edition.id, "N1")  # refreshed
        with pytest.raises(ProjectInUse):
            await projects.project_delete(
                session=session, edition=edition, project=project, actor_id=None, now=earlier
            )
        project = await repository.project_by_number(session, edition.id, "N1")
        with pytest.raises(FormInvalid) as unknown:
            await projects.project_update(
                session=session, edition=edition, project=project,
                data=moved.model_copy(update={"pool": "XYZ", "area": "Q"}),
                actor_id=None, now=earlier,
            )  # fmt: skip
        assert unknown.value.errors == {"pool": "Unknown pool code.", "area": "Unknown area code."}
        await session.rollback()
    assert (await _project(app, edition.slug, "N1")).pool_id == pool_id


async def test_a_later_closing_date_is_announced_to_every_process_at_once(app):
    """The project page's routes share their router with the extension of voting: an open
    edition's snapshot is cached, and its new closing date must reach every process."""
    edition = await edition_create(app)
    later = edition.voting_closes_at.astimezone(LOCAL_ZONE) + timedelta(days=2)
    url = f"/staff/editions/{edition.slug}"
    async with await staff_client(app, "admin") as admin:
        token = csrf_of((await admin.get(url)).text)
        before = await _generation(app)
        extended = await admin.post(
            url + "/extend",
            data={"voting_closes_at": later.strftime("%Y-%m-%dT%H:%M"),
                  "reason": "Awaria serwera", "csrf_token": token},
        )  # fmt: skip
        assert extended.status_code == 303
    assert await _generation(app) > before
