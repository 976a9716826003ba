"""Publishing results waits for what must come first: voting closed, every case of the
verification team decided (the app's ``publish_checks``), and an admin who confirmed what
becomes public. Each refusal says why, in Polish, and publishes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories.editions import edition_create
from tests.factories.staff import staff_client
from urna.core.db import utcnow
from urna.core.i18n import N_
from urna.results import repository as results_repository

from .test_results_views import _compute, _import, _publish

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
