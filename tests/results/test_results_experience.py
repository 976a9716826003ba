"""The results as a resident and a clerk read them (issue 14): an imported edition named
in Polish, each project's share of the voters, the money against a budget line, the step
log collapsible, and a published run that no longer offers the draw form."""

from __future__ import annotations

import pytest

from tests.factories.staff import staff_client

from .test_results_views import SMALL_FILE, _compute, _import, _publish

pytestmark = pytest.mark.flow


async def test_published_results_read_as_an_office_publishes_them(app, client):
    edition = await _import(app)
    slug = edition.slug
    assert edition.name == "Budżet obywatelski Łódź 2022 – Widzew"
    assert edition.description_en.startswith("Local PB in Łódź, Widzew | Andrzejów.")
    assert SMALL_FILE in edition.description_en
    async with await staff_client(app, "admin") as admin:
        run_id = await _compute(admin, slug)
        draft = (await admin.get(f"/staff/editions/{slug}/results/{run_id}")).text
        assert 'class="draw"' in draft  # a draft may still get its public draw
        assert (await _publish(admin, slug, run_id)).status_code == 303
        published = (await admin.get(f"/staff/editions/{slug}/results/{run_id}")).text
    assert 'class="draw"' not in published and "/draw" not in published
    page = (await client.get(f"/e/{slug}/results")).text
    assert "Odsetek głosujących" in page and "\u00a0%" in page
    assert 'class="budget-line"' in page and "Budżet: " in page
    assert '<details class="step-log"' in page and "kroków podziału" in page
    assert 'class="ranking stack"' in page
    assert "Czasy w plikach są podane w UTC" in page
