"""Publishing results waits for what must come first: voting closed, every case of the
verification team decided (the app's ``publish_checks``), the public draw of a tie that
decides what is funded, and an admin who confirmed what becomes public. Each refusal says
why, in Polish, and publishes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories.editions import edition_create, voting_close
from tests.factories.staff import csrf_of, staff_client
from urna.core.db import utcnow
from urna.core.i18n import N_
from urna.results import repository as results_repository

from .factories import ballots_add
from .test_results_views import _compute, _import, _publish, _run, tie_in_city

pytestmark = pytest.mark.flow


async def _published(app, edition_id: int):
    async with app.state.ctx.db() as session:
        return await results_repository.run_published(session, edition_id)


async def test_results_are_not_published_while_voting_is_open(app):
    edition = await edition_create(
        app,
        voting_opens_at=(utcnow() - timedelta(days=1)).isoformat(),
        voting_closes_at=(utcnow() + timedelta(days=1)).isoformat(),
        results_at=(utcnow() + timedelta(days=2)).isoformat(),
    )
    async with await staff_client(app, "admin") as admin:
        run_id = await _compute(admin, edition.slug)
        response = await _publish(admin, edition.slug, run_id)
    assert response.status_code == 409
    assert "dopiero po zakończeniu głosowania" in response.text
    assert await _published(app, edition.id) is None


async def test_publishing_needs_the_confirmation_of_what_becomes_public(app):
    edition = await _import(app)
    async with await staff_client(app, "admin") as admin:
        run_id = await _compute(admin, edition.slug)
        page = (await admin.get(f"/staff/editions/{edition.slug}/results/{run_id}")).text
        assert "results.pb" in page and 'name="confirm"' in page
        refused = await _publish(admin, edition.slug, run_id, confirm=False)
        assert refused.status_code == 409 and "zaznacz pole" in refused.text
        assert await _published(app, edition.id) is None
        assert (await _publish(admin, edition.slug, run_id)).status_code == 303
    assert (await _published(app, edition.id)).id == run_id


async def test_an_undecided_case_holds_the_publication(app):
    edition = await _import(app)
    reason = N_("The verification team has not decided every case yet.")
    calls = []

    async def undecided(session, edition_id):
        calls.append(edition_id)
        return reason if edition_id == edition.id else None

    app.state.ctx.publish_checks.append(undecided)
    try:
        async with await staff_client(app, "admin") as admin:
            run_id = await _compute(admin, edition.slug)
            response = await _publish(admin, edition.slug, run_id)
    finally:
        app.state.ctx.publish_checks.remove(undecided)
    assert calls == [edition.id]
    assert response.status_code == 409
    assert await _published(app, edition.id) is None


async def test_a_tie_that_decides_funding_holds_the_publication_until_its_draw(app):
    """C1 (60 000 zł) and C2 (50 000 zł) tie in CITY, whose 100 000 zł funds one of them:
    publishing is refused, naming them, until the draw is recorded and computed."""
    edition = await tie_in_city(app)
    await voting_close(app, edition.id)
    slug = edition.slug
    async with await staff_client(app, "admin") as admin:
        run_id = await _compute(admin, slug)
        page = (await admin.get(f"/staff/editions/{slug}/results/{run_id}")).text
        assert "Publikacja czeka na to losowanie: kolejność C1, C2" in page
        refused = await _publish(admin, slug, run_id)
        assert refused.status_code == 409
        assert "nie uporządkowało remisujących projektów C1, C2 (Pula ogólnomiejska)" in (
            refused.text
        )
        await admin.get("/staff/lang/en")
        refused = await _publish(admin, slug, run_id)
        assert refused.status_code == 409
        assert "no public draw has ordered the tied projects C1, C2 (Pula ogólnomiejska)" in (
            refused.text
        )
        assert await _published(app, edition.id) is None

        page = (await admin.get(f"/staff/editions/{slug}/results/{run_id}")).text
        drawn = await admin.post(
            f"/staff/editions/{slug}/results/{run_id}/draw",
            data={"pool": "CITY", "order": "C2, C1", "note": "ratusz", "csrf_token": csrf_of(page)},
        )
        assert drawn.status_code == 303
        second = await _compute(admin, slug)
        assert (await _publish(admin, slug, second)).status_code == 303
    assert (await _published(app, edition.id)).id == second


async def test_a_tie_whose_order_funds_the_same_projects_does_not_hold_the_publication(app):
    """C2 (50 000 zł) and C3 (10 000 zł) tie, and both fit in CITY's 100 000 zł in any
    order: the draft says the draw would only rank them, and it is published."""
    edition = await edition_create(app)
    await ballots_add(app, edition, [["C2", "C3"]] * 3 + [["C1", "N1"]])  # N1 leads N
    await voting_close(app, edition.id)
    slug = edition.slug
    async with await staff_client(app, "admin") as admin:
        run_id = await _compute(admin, slug)
        run = await _run(app, run_id)
        city = next(pool for pool in run.payload["pools"] if pool["code"] == "CITY")
        assert city["draw_needed"] and set(city["funded"]) == {"C2", "C3"}
        page = (await admin.get(f"/staff/editions/{slug}/results/{run_id}")).text
        assert "Ich kolejność nie zmienia tego, które projekty są finansowane" in page
        assert (await _publish(admin, slug, run_id)).status_code == 303
    assert (await _published(app, edition.id)).id == run_id
