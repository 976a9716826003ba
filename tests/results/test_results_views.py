"""The results pages: the staff console computes, records draws and publishes; the public
page and the open data (JSON, CSV, pabulib) show the published run only."""

from __future__ import annotations

import csv
import hashlib
import io
import json

import pytest
from sqlalchemy import select, update

from tests.factories.editions import edition_create, unique_slug, voting_close
from tests.factories.staff import csrf_of, staff_client
from urna.core.audit import AuditEvent
from urna.core.db import transaction
from urna.editions import repository as editions_repository
from urna.editions.models import Edition
from urna.results import repository as results_repository
from urna.results.importer import edition_import_pabulib
from urna.results.models import ResultRun
from urna.results.pabulib import pabulib_loads
from urna.voting.models import Ballot

from .factories import ballots_add
from .pabulib_support import pabulib_path, parsed

pytestmark = pytest.mark.flow

SMALL_FILE = "Poland_Lodz_2022_Andrzejow.pb"  # approval, greedy with a 50-vote minimum
NOT_PUBLISHED_PL = "Wyniki tej edycji nie zostały jeszcze opublikowane."


async def _import(app, name: str = SMALL_FILE) -> Edition:
    async with transaction(app.state.ctx.db) as session:
        summary = await edition_import_pabulib(
            session=session, path=pabulib_path(name), slug=unique_slug("wyniki")
        )
        return summary.edition


async def _run(app, run_id: int) -> ResultRun:
    async with app.state.ctx.db() as session:
        return await results_repository.run_get(session, run_id)


async def _compute(admin, slug: str) -> int:
    """Compute through the console; returns the new run's id."""
    page = (await admin.get(f"/staff/editions/{slug}/results")).text
    response = await admin.post(
        f"/staff/editions/{slug}/results", data={"csrf_token": csrf_of(page)}
    )
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


async def _publish(http, slug: str, run_id: int, *, confirm: bool = True):
    page = (await http.get(f"/staff/editions/{slug}/results/{run_id}")).text
    token = (
        csrf_of(page)
        if http.staff_user.role == "admin"
        else csrf_of((await http.get("/staff")).text)
    )
    form = {"csrf_token": token} | ({"confirm": "yes"} if confirm else {})
    return await http.post(f"/staff/editions/{slug}/results/{run_id}/publish", data=form)


async def _set_demographics(app, edition_id: int, value: bool) -> None:
    async with app.state.ctx.db() as session:
        await session.execute(
            update(Edition).where(Edition.id == edition_id).values(publish_demographics=value)
        )
        await session.commit()


async def test_results_are_published_from_the_console_and_shown_with_open_data(app, client):
    edition = await _import(app)
    slug = edition.slug
    original = parsed(SMALL_FILE)
    selected = {p.project_id for p in original.projects if p.selected}

    response = await client.get(f"/e/{slug}/results")
    assert response.status_code == 404 and NOT_PUBLISHED_PL in response.text
    assert (await client.get(f"/e/{slug}/results.json")).status_code == 404
    assert f"/e/{slug}/results" not in (await client.get(f"/e/{slug}")).text

    async with (
        await staff_client(app, "admin") as admin,
        await staff_client(app, "verifier") as verifier,
    ):
        run_id = await _compute(admin, slug)
        page = await admin.get(f"/staff/editions/{slug}/results/{run_id}")
        assert page.status_code == 200 and "Opublikuj te wyniki" in page.text
        assert (await client.get(f"/e/{slug}/results")).status_code == 404  # a draft only

        assert (await verifier.get(f"/staff/editions/{slug}/results")).status_code == 403
        assert (await _publish(verifier, slug, run_id)).status_code == 403
        response = await _publish(admin, slug, run_id)
        assert response.status_code == 303, response.text
        listing = (await admin.get(f"/staff/editions/{slug}/results")).text
        assert f"#{run_id}" in listing and "Opublikowano" in listing

    async with app.state.ctx.db() as session:
        events = (
            (
                await session.execute(
                    select(AuditEvent).where(
                        AuditEvent.action == "results.publish",
                        AuditEvent.target == f"edition:{slug}",
                    )
                )
            )
            .scalars()
            .all()
        )
    assert [event.details["run"] for event in events] == [run_id]
    run = await _run(app, run_id)
    assert run.status == "published"

    page = await client.get(f"/e/{slug}/results")
    assert page.status_code == 200
    html = page.text
    for project in original.projects:
        assert f'href="/e/{slug}/projects/{project.project_id}"' in html
    assert "<svg" in html and "<title" in html and 'rect class="bar funded"' in html
    assert "mieści się, finansowany" in html  # the step log, in Polish
    assert "Frekwencja" in html and "Głosy według wieku" in html
    assert run.sha256 in html
    assert f"/e/{slug}/results" in (await client.get(f"/e/{slug}")).text

    english = await client.get("/lang/en", params={"next": f"/e/{slug}/results"})
    assert english.status_code == 303
    html_en = (await client.get(f"/e/{slug}/results")).text
    assert "fits and is funded" in html_en
    await client.get("/lang/pl")

    # JSON: the stored payload byte for byte, the digest printed on the page
    download = await client.get(f"/e/{slug}/results.json")
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment")
    assert json.loads(download.content) == run.payload
    assert hashlib.sha256(download.content).hexdigest() == run.sha256

    # CSV: a row per project, funded as in the file's own `selected` column
    text = (await client.get(f"/e/{slug}/results.csv")).content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(original.projects)
    assert {row["number"] for row in rows if row["funded"] == "1"} == selected
    assert {row["number"] for row in rows if row["funded"] == "0"} == {
        p.project_id for p in original.projects
    } - selected

    # pabulib: same projects, the counted ballots, no demographics unless the edition allows
    await _set_demographics(app, edition.id, False)
    instance = pabulib_loads((await client.get(f"/e/{slug}/results.pb")).text)
    assert [p.project_id for p in instance.projects] == [
        row["number"] for row in run.payload["pools"][0]["projects"]
    ]
    assert {p.project_id for p in instance.projects} == {p.project_id for p in original.projects}
    assert {p.project_id for p in instance.projects if p.selected} == selected
    assert len(instance.votes) == int(instance.meta["num_votes"]) == len(original.votes)
    assert [v.voter_id for v in instance.votes] == [
        str(i) for i in range(1, len(original.votes) + 1)
    ]
    assert "age_band" not in instance.vote_columns and "sex" not in instance.vote_columns
    assert (
        instance.meta["country"] == "Poland" and instance.meta["budget"] == original.meta["budget"]
    )
    await _set_demographics(app, edition.id, True)
    instance = pabulib_loads((await client.get(f"/e/{slug}/results.pb?pool=main")).text)
    assert "age_band" in instance.vote_columns and "sex" in instance.vote_columns
    assert (await client.get(f"/e/{slug}/results.pb?pool=NOPE")).status_code == 404


async def tie_in_city(app) -> Edition:
    """An edition whose C1 and C2 tie at 3 votes in CITY (together they cost more than the
    pool's 100 000 zł, so the draw decides which is funded); N1 is of another pool."""
    edition = await edition_create(app)
    await ballots_add(app, edition, [["C1", "C2"]] * 3 + [["C3", "N1"]])
    return edition


async def test_a_tie_draw_recorded_in_the_console_orders_the_next_computation(app):
    edition = await tie_in_city(app)
    slug = edition.slug
    async with await staff_client(app, "admin") as admin:
        run_id = await _compute(admin, slug)
        page = (await admin.get(f"/staff/editions/{slug}/results/{run_id}")).text
        assert "Potrzebne jest publiczne losowanie" in page
        token = csrf_of(page)
        draw_url = f"/staff/editions/{slug}/results/{run_id}/draw"

        wrong = await admin.post(
            draw_url, data={"pool": "CITY", "seed": "dużo", "note": "", "csrf_token": token}
        )
        assert wrong.status_code == 400 and "liczbą całkowitą" in wrong.text
        both = await admin.post(
            draw_url,
            data={"pool": "CITY", "seed": "7", "order": "C2, C1", "csrf_token": token},
        )
        assert both.status_code == 400 and "albo" in both.text
        missing = await admin.post(draw_url, data={"pool": "XX", "seed": "7", "csrf_token": token})
        assert missing.status_code == 404
        beyond = await admin.get(f"/staff/editions/{slug}/results/3000000000")
        assert beyond.status_code == 404  # past the column: no such page, not a 500

        response = await admin.post(
            draw_url,
            data={
                "pool": "CITY",
                "seed": "424242",
                "note": "Losowanie w ratuszu",
                "csrf_token": token,
            },
        )
        assert response.status_code == 303
        assert response.headers["location"] == f"/staff/editions/{slug}/results?draw=CITY"

        second = await _compute(admin, slug)
        page = (await admin.get(f"/staff/editions/{slug}/results/{second}")).text
        assert "Potrzebne jest publiczne losowanie" not in page
        assert "Wylosowana liczba: 424242" in page and "Losowanie w ratuszu" in page
    pool = next(p for p in (await _run(app, second)).payload["pools"] if p["code"] == "CITY")
    assert pool["draw"]["seed"] == 424242 and not pool["draw_needed"]
    ties = [s for s in pool["allocation"]["steps"] if s["kind"] == "tie_resolved"]
    assert [s["tie_method"] for s in ties] == ["seed"]
    assert len({"C1", "C2"} & set(pool["funded"])) == 1


async def test_publishing_is_refused_while_a_ballot_is_under_review(app, client):
    formula = '=HYPERLINK("http://example.org")'
    edition = await edition_create(app)
    await voting_close(app, edition.id)  # publishing may now be asked
    async with app.state.ctx.db() as session:
        project = await editions_repository.project_by_number(session, edition.id, "C3")
        project.title = formula
        await session.commit()
    slug = edition.slug
    # C1 beside C3: C1 and C2 no longer tie at 0 votes for the money C3 leaves (a draw)
    ids = await ballots_add(app, edition, [["C3"], ["N1"], ["S1"], ["C1"]])
    async with await staff_client(app, "admin") as admin:
        run_id = await _compute(admin, slug)
        async with app.state.ctx.db() as session:
            await session.execute(
                update(Ballot).where(Ballot.id == ids[0]).values(status="under_review")
            )
            await session.commit()
        response = await _publish(admin, slug, run_id)
        assert response.status_code == 409
        assert "Niektóre głosy są nadal weryfikowane" in response.text
        assert (await _run(app, run_id)).status == "draft"
        assert (await client.get(f"/e/{slug}/results")).status_code == 404

        async with app.state.ctx.db() as session:
            await session.execute(
                update(Ballot).where(Ballot.id == ids[0]).values(status="counted")
            )
            await session.commit()
        assert (await _publish(admin, slug, run_id)).status_code == 303

    text = (await client.get(f"/e/{slug}/results.csv")).content.decode("utf-8-sig")
    rows = {row["number"]: row for row in csv.DictReader(io.StringIO(text))}
    assert rows["C3"]["title"] == "'" + formula  # shown by a spreadsheet, never evaluated
    assert rows["C3"]["cost_pln"] == "10000.00" and rows["C3"]["funded"] == "1"

    # a verifier's decision after publication: every file stays what was published (built
    # at publication from the ballots of the tally); one not built yet refuses to read the
    # ballots live until the office publishes again
    published_pb = (await client.get(f"/e/{slug}/results.pb")).content
    async with app.state.ctx.db() as session:
        await session.execute(update(Ballot).where(Ballot.id == ids[1]).values(status="invalid"))
        await session.commit()
    response = await client.get(f"/e/{slug}/results.pb")
    assert response.status_code == 200 and response.content == published_pb
    assert (await client.get(f"/e/{slug}/results.csv")).status_code == 200
    await _set_demographics(app, edition.id, True)  # a file the publication did not build
    response = await client.get(f"/e/{slug}/results.pb")
    assert response.status_code == 409
    assert "opublikować je ponownie" in response.text
