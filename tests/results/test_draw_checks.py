"""A pool's public draw as the office records it in the console: an order the next
computation could not use is refused on the run page and never stored, a draw stored before
these checks is refused by the computation (never a server error), and a tie widened after
the draw gets a draft that names it, so that a new draw can be recorded."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from tests.factories.editions import edition_create
from tests.factories.staff import csrf_of, staff_client
from urna.core.db import utcnow
from urna.editions import repository as editions_repository
from urna.results import repository as results_repository
from urna.results.models import ResultRun, TieDraw
from urna.results.rules import TieDrawIncomplete, TieDrawRepeated
from urna.results.service import ResultsError, _draw_refused
from urna.voting.models import Ballot

from .factories import ballots_add
from .test_results_views import _compute, _run, tie_in_city

pytestmark = pytest.mark.flow


async def _draws(app, edition_id: int) -> dict[int, TieDraw]:
    async with app.state.ctx.db() as session:
        return await results_repository.draws_of(session, edition_id)


async def _runs(app, edition_id: int) -> list[int]:
    async with app.state.ctx.db() as session:
        rows = await session.execute(select(ResultRun.id).where(ResultRun.edition_id == edition_id))
        return sorted(rows.scalars())


def _city(run: ResultRun) -> dict:
    return next(pool for pool in run.payload["pools"] if pool["code"] == "CITY")


async def _record(admin, slug: str, run_id: int, order: str):
    page = (await admin.get(f"/staff/editions/{slug}/results/{run_id}")).text
    return await admin.post(
        f"/staff/editions/{slug}/results/{run_id}/draw",
        data={"pool": "CITY", "order": order, "note": "ratusz", "csrf_token": csrf_of(page)},
    )


async def test_a_drawn_order_the_computation_could_not_use_is_refused_and_never_stored(app):
    edition = await tie_in_city(app)
    slug = edition.slug
    async with await staff_client(app, "admin") as admin:
        run_id = await _compute(admin, slug)
        page = (await admin.get(f"/staff/editions/{slug}/results/{run_id}")).text
        assert "C1, C2" in page  # the form names the projects its order must list
        await admin.get("/staff/lang/en")  # the refusals as their message ids say them
        for order, said in (
            ("2,2", "lists the projects 2 more than once"),
            ("C2, C2", "lists the projects C2 more than once"),
            ("C2, C1, C2", "lists the projects C2 more than once"),
            ("C2, N1", "not in this pool: N1."),
            ("C1, C3", "only the projects that tie in this computation; these do not: C3."),
            ("C2", "every project that ties in this computation; missing: C1."),
        ):
            response = await _record(admin, slug, run_id, order)
            assert response.status_code == 400 and '<html lang="en">' in response.text, order
            assert said in response.text, order
        assert await _draws(app, edition.id) == {}
        # nothing was stored, so the next computation is a draft still asking for the draw
        second = await _compute(admin, slug)
        assert _city(await _run(app, second))["draw_needed"]

        assert (await _record(admin, slug, run_id, "C2, C1")).status_code == 303
        third = await _compute(admin, slug)
    city = _city(await _run(app, third))
    assert not city["draw_needed"] and city["funded"] == ["C2", "C3"]
    assert [draw.draw_order for draw in (await _draws(app, edition.id)).values()] == [["C2", "C1"]]


async def test_a_stored_draw_the_rules_refuse_is_a_refusal_of_the_computation(app):
    """A draw stored before the checks above: the computation says what is wrong (409)."""
    edition = await edition_create(app)
    slug = edition.slug
    await ballots_add(app, edition, [["C1", "C2"]] * 3)
    async with app.state.ctx.db() as session:
        pools = await editions_repository.pools_of(session, edition.id)
        city = next(pool for pool in pools if pool.code == "CITY")
        session.add(
            TieDraw(
                edition_id=edition.id,
                pool_id=city.id,
                draw_order=["C2", "C2"],
                note="",
                recorded_at=utcnow(),
            )
        )
        await session.commit()
    async with await staff_client(app, "admin") as admin:
        await admin.get("/staff/lang/en")
        page = (await admin.get(f"/staff/editions/{slug}/results")).text
        response = await admin.post(
            f"/staff/editions/{slug}/results", data={"csrf_token": csrf_of(page)}
        )
    assert response.status_code == 409 and '<html lang="en">' in response.text
    assert "The recorded draw lists the projects C2 more than once." in response.text
    assert await _runs(app, edition.id) == []


def test_a_refused_draw_reads_as_a_message_id_with_the_projects_numbers():
    incomplete = _draw_refused(TieDrawIncomplete(["C10", "C3"]))
    assert isinstance(incomplete, ResultsError)
    assert incomplete.message.startswith("The recorded draw does not place the tied projects")
    assert "%(numbers)s" in incomplete.message  # translated whole, the numbers a parameter
    assert incomplete.params == {"numbers": "C3, C10"}
    repeated = _draw_refused(TieDrawRepeated(["7"]))
    assert "%(numbers)s" in repeated.message and repeated.params == {"numbers": "7"}


async def test_a_tie_widened_after_the_draw_gets_a_draft_that_asks_for_a_new_draw(app):
    edition = await edition_create(app)
    slug = edition.slug
    # C3 (10 000 zł) leads with 4 votes; C1 (60 000) and C2 (50 000) tie at 3: one fits
    ids = await ballots_add(app, edition, [["C1", "C2"]] * 3 + [["C3"]] * 4)
    async with await staff_client(app, "admin") as admin:
        first = await _compute(admin, slug)
        assert (await _record(admin, slug, first, "C2, C1")).status_code == 303
        drawn = _city(await _run(app, await _compute(admin, slug)))
        assert not drawn["draw_needed"] and drawn["funded"] == ["C3", "C2"]

        # a ballot invalidated after the draw: C3 now ties with C1 and C2
        async with app.state.ctx.db() as session:
            await session.execute(
                update(Ballot).where(Ballot.id == ids[-1]).values(status="invalid")
            )
            await session.commit()
        widened = await _compute(admin, slug)  # a draft, not a refusal
        city = _city(await _run(app, widened))
        assert city["draw_needed"] and city["draw"]["order"] == ["C2", "C1"]
        (tie,) = city["allocation"]["ties"]
        assert tie["project_ids"] == ["C1", "C2", "C3"] and tie["method"] == "fallback_id"

        await admin.get("/staff/lang/en")
        page = (await admin.get(f"/staff/editions/{slug}/results/{widened}")).text
        assert "the recorded draw does not place every project of a tie" in page
        assert "Projects to be drawn: C1, C2, C3." in page
        stale = await _record(admin, slug, widened, "C2, C1")
        assert stale.status_code == 400 and "missing: C3." in stale.text
        assert (await _record(admin, slug, widened, "C3, C2, C1")).status_code == 303
        final = _city(await _run(app, await _compute(admin, slug)))
    assert not final["draw_needed"] and final["funded"] == ["C3", "C2"]
    assert [row["number"] for row in final["projects"]] == ["C3", "C2", "C1"]


async def test_a_refused_field_of_the_draw_is_said_beside_it_and_nothing_is_stored(app):
    """A NUL in the note, an order too long: the run page says so beside that field (in
    Polish), never a server error, and no draw is stored."""
    edition = await tie_in_city(app)
    slug = edition.slug
    async with await staff_client(app, "admin") as admin:
        run_id = await _compute(admin, slug)
        url = f"/staff/editions/{slug}/results/{run_id}/draw"
        token = csrf_of((await admin.get(f"/staff/editions/{slug}/results/{run_id}")).text)
        for field, typed, said in (
            ("note", "Ratusz\x00, świadkowie", "niewidoczne znaki sterujące"),
            ("order", ", ".join(["C2", "C1"] * 400), "Ten tekst jest za długi."),
        ):
            values = {"pool": "CITY", "order": "C2, C1", "note": "Ratusz", field: typed}
            response = await admin.post(url, data={**values, "csrf_token": token})
            assert response.status_code == 400, field
            page = response.text
            beside = page.split(f'id="draw-CITY-{field}"', 1)[1]
            assert 'aria-invalid="true"' in beside.split(">", 1)[0], field
            error = beside.split(f'<p class="error" id="draw-CITY-{field}-error">', 1)[1]
            assert said in error.split("</p>", 1)[0], field
            assert f'href="#draw-CITY-{field}"' in page  # the summary links to the field
    assert await _draws(app, edition.id) == {}
